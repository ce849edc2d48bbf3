//go:build !linux

package payload

import "time"

func threadCPU() time.Duration { return 0 }
