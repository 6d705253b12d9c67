// The sandbox `serin demo` ships is test support too: tests see it through
// this module, as before it moved.
@_exported import SerinSandbox
