//! caadam-optim (being filled)
