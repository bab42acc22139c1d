//! CPU time this process has used (user + system), for per-request costs that mean something on
//! a shared machine: wall-clock rates move with other people's builds, the CPU a request costs
//! the server much less. Read from `/proc/self/stat` (Linux); `None` elsewhere.

use std::time::Duration;

/// CPU time used by this process so far, every thread together.
pub fn used() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are
    // plain: state is field 3, utime field 14 and stime field 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // Linux reports these in clock ticks of USER_HZ, which is 100 on every supported arch.
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Microseconds of CPU per operation between two readings of [`used`].
pub fn per_op_us(before: Option<Duration>, after: Option<Duration>, ops: u64) -> Option<f64> {
    let spent = after?.checked_sub(before?)?;
    (ops > 0).then(|| super::stats::round2(spent.as_secs_f64() * 1e6 / ops as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work_and_divides_per_operation() {
        let before = used();
        let mut x = 0u64;
        for i in 0..30_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        let after = used();
        if cfg!(target_os = "linux") {
            assert!(after >= before, "{before:?} {after:?}");
        }
        assert_eq!(
            per_op_us(
                Some(Duration::from_millis(10)),
                Some(Duration::from_millis(30)),
                4
            ),
            Some(5_000.0)
        );
        assert_eq!(per_op_us(None, after, 4), None);
        assert_eq!(per_op_us(before, after, 0), None);
    }
}
