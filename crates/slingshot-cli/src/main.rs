//! The slingshot host tool: keygen, sign, inspect, verify, merge, flash, info, reboot, monitor.

fn main() {}
