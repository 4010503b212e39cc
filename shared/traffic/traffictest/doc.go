// Package traffictest is the contract suite for traffic.Shifter
// implementations: every shifter runs Run against its real backend (or a fake
// service speaking the backend's wire protocol), so they all agree on what
// Prepare, Current, Shift and Verify mean.
package traffictest
