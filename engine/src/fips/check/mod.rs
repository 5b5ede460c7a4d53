//! The configuration validator (being written).
