package bench

import (
	"syscall"
	"time"
)

// sleepExact sleeps d with the kernel's nanosleep, in the calling thread: the Go runtime's
// timers on Linux wake up to a millisecond late, which would add ~1 ms to each half of a round
// trip that the proxy delays by 0.25 ms. The caller locks its goroutine to its thread.
func sleepExact(d time.Duration) {
	ts := syscall.NsecToTimespec(d.Nanoseconds())
	for {
		var rem syscall.Timespec
		if err := syscall.Nanosleep(&ts, &rem); err != syscall.EINTR {
			return
		}
		ts = rem
	}
}
