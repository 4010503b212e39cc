// Package dashboard tests the web dashboard as a person would see it: a
// local stack (dynalite, the embedded engine, an in-process fleet) with
// releases promoted, rolled back and in flight, and the dashboard driven
// in headless Chromium (the Debian chromium package: the test fails when it
// is missing; `make test` installs it). Each page's screenshot is saved
// under .build/screenshots (or $SHIPWAVE_SCREENSHOTS).
package dashboard
