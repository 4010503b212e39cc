//go:build linux

package fleet

import "syscall"

// setParentDeathSignal makes the kernel kill an instance when the process
// that started it exits, so a killed test binary or CLI leaves no orphan.
func setParentDeathSignal(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
