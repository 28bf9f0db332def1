// Package cputime measures benchmarks by the CPU time they spend, which
// holds on a shared machine where wall time swings with other work.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// PerOp starts measuring the process's CPU time (user + system, every
// thread); the function it returns reports it per operation as
// "cpu-ns/op". On a shared machine wall time per operation swings with
// other work, while CPU time per operation holds: compare builds by it.
func PerOp(b *testing.B) (stop func()) {
	start := cpuNow()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((cpuNow()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
