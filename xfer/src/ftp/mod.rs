//! FTP and FTPS (RFC 959, 2389, 2428, 3659, 4217): a control-connection state machine
//! that does no I/O, and blocking drivers on top of it.

pub mod control;
