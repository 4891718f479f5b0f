//go:build !linux

package bench

import "time"

// sleepExact sleeps d (elsewhere than on Linux, as precisely as time.Sleep does).
func sleepExact(d time.Duration) { time.Sleep(d) }
