//go:build linux

package dynalite

import "syscall"

// setParentDeathSignal makes the kernel kill dynalite when the process that
// started it exits, so a test binary killed by its timeout leaves no orphan.
func setParentDeathSignal(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
