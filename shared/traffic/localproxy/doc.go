// Package localproxy shifts traffic for targets of type local: services of
// the local stack's process fleet behind its weighted reverse proxy. It
// declares the small Proxy interface the local stack implements and adds the
// contract's validation and read-back on top of it.
package localproxy
