//! Formats as they arrive over HTTP, each read one way everywhere: Server-Sent Events, and JSON
//! numbers as JSON Schema counts them. Pure: bytes or values in, parsed values out. The API's
//! request and response types are the server's `dto`, not these.

pub mod json_number;
pub mod sse;
