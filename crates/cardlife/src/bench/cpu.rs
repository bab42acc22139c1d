//! CPU time this process has used (user + system), and the whole machine's, for per-request
//! costs that mean something on a shared machine: wall-clock rates move with other people's
//! builds and latencies with the disk's stalls, the CPU a request costs much less. Read from
//! `/proc/self/stat` and `/proc/stat` (Linux); `None` elsewhere.

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

/// CPU time every process on the machine has used so far (user, nice, system, interrupts;
/// not idle, not waiting for the disk, not stolen by a hypervisor), all cores together. Read
/// from `/proc/stat` (Linux); `None` elsewhere. A side whose server is another process (the
/// PostgreSQL baseline) is charged its server's CPU this way, as ours is charged its own.
pub fn machine_used() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    machine_busy_of(stat.lines().next()?)
}

/// The busy time of `/proc/stat`'s first line (`cpu  user nice system idle iowait irq softirq
/// steal …`, in USER_HZ ticks of 10 ms).
fn machine_busy_of(line: &str) -> Option<Duration> {
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let ticks: Vec<u64> = fields
        .take(7)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let [user, nice, system, _idle, _iowait, irq, softirq] = ticks[..] else {
        return None;
    };
    let busy = [user, nice, system, irq, softirq]
        .iter()
        .try_fold(0_u64, |sum, t| sum.checked_add(*t))?;
    Some(Duration::from_millis(busy.checked_mul(10)?))
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

    #[test]
    fn the_machines_busy_time_leaves_out_idle_disk_waits_and_steal() {
        // user 100, nice 2, system 30, idle 900, iowait 50, irq 3, softirq 5, steal 40.
        let line = "cpu  100 2 30 900 50 3 5 40 0 0";
        assert_eq!(
            machine_busy_of(line),
            Some(Duration::from_millis((100 + 2 + 30 + 3 + 5) * 10))
        );
        assert_eq!(machine_busy_of("cpu0 1 2 3 4 5 6 7"), None);
        assert_eq!(machine_busy_of("cpu 1 2 3"), None);
        assert_eq!(machine_busy_of("cpu 1 x 3 4 5 6 7"), None);
        if cfg!(target_os = "linux") {
            assert!(machine_used().is_some());
        }
    }
}
