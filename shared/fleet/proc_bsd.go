//go:build unix && !linux

package fleet

import "syscall"

// setParentDeathSignal does nothing where the kernel has no parent-death
// signal; Close still stops every process group.
func setParentDeathSignal(*syscall.SysProcAttr) {}
