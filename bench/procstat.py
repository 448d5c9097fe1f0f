"""CPU time and resident memory of a process and its descendants, read from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def parse_stat_cpu_ticks(stat: str, reaped: bool = False) -> int:
    """utime + stime (clock ticks) from the text of /proc/<pid>/stat; with ``reaped``, plus cutime + cstime: what its
    children that have exited and been waited for used.

    The command name (field 2) is in parentheses and may itself hold spaces and parentheses, so fields are counted
    from the last ``)``: after it come state (field 3) … utime (14), stime (15), cutime (16) and cstime (17).
    """
    rest = stat[stat.rindex(")") + 2 :].split()
    ticks = int(rest[11]) + int(rest[12])
    return ticks + int(rest[13]) + int(rest[14]) if reaped else ticks


def parse_status_rss_bytes(status: str) -> int:
    """VmRSS from the text of /proc/<pid>/status, in bytes (0 for a kernel thread or a zombie, which have none)."""
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            value, unit = line.split()[1:3]
            if unit != "kB":
                raise ValueError(f"unexpected VmRSS unit {unit!r}")
            return int(value) * 1024
    return 0


def parse_smaps_rollup_pss_bytes(text: str) -> int:
    """Pss from the text of /proc/<pid>/smaps_rollup, in bytes: resident memory with each shared page divided among
    the processes that map it (0 when there is none)."""
    for line in text.splitlines():
        if line.startswith("Pss:"):
            value, unit = line.split()[1:3]
            if unit != "kB":
                raise ValueError(f"unexpected Pss unit {unit!r}")
            return int(value) * 1024
    return 0


def parse_proc_stat_busy_ticks(text: str) -> int:
    """Busy clock ticks of all CPUs (everything but idle and iowait) from the ``cpu`` line of /proc/stat."""
    fields = text.splitlines()[0].split()
    if fields[0] != "cpu":
        raise ValueError("/proc/stat does not start with the cpu line")
    values = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return sum(values) - values[3] - values[4]


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (children listed in /proc/<pid>/task/<tid>/children)."""
    found = [pid]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        try:
            tasks = list((PROC / str(current) / "task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                found += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
    return found


def cpu_seconds(pid: int, reaped: bool = False) -> float:
    """CPU time (user + system) of ``pid`` and its live descendants; with ``reaped``, also of the descendants that
    have exited and been waited for (a worker process that came and went counts)."""
    ticks = 0
    for each in descendants(pid):
        try:
            ticks += parse_stat_cpu_ticks((PROC / str(each) / "stat").read_text(), reaped)
        except OSError:
            continue
    return ticks / CLOCK_TICKS


def own_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` alone, none of its children's (0 once it is gone)."""
    try:
        return parse_stat_cpu_ticks((PROC / str(pid) / "stat").read_text()) / CLOCK_TICKS
    except OSError:
        return 0.0


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and its live descendants."""
    total = 0
    for each in descendants(pid):
        try:
            total += parse_status_rss_bytes((PROC / str(each) / "status").read_text())
        except OSError:
            continue
    return total


def pss_bytes(pid: int) -> int:
    """Proportional set size of ``pid`` and its live descendants: unlike their RSS summed, pages they share (the
    interpreter and libraries of forked or spawned workers) are counted once."""
    total = 0
    for each in descendants(pid):
        try:
            total += parse_smaps_rollup_pss_bytes((PROC / str(each) / "smaps_rollup").read_text())
        except OSError:
            continue
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot, whoever spent them."""
    return parse_proc_stat_busy_ticks((PROC / "stat").read_text()) / CLOCK_TICKS
