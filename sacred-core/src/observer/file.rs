//! The file storage observer (`-F DIR`).
