//! caadam-autograd (being filled)
