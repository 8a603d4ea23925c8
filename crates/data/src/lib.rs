//! caadam-data (being filled)
