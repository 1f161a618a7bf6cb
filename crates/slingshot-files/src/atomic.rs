//! Atomic file output: write to a temporary file in the destination's directory, flush it to
//! disk, then rename it over the destination. A failure at any point leaves either the old
//! file or nothing, never a half-written one.

use crate::FileError;
use std::io::Write;
use std::path::Path;

/// Write `bytes` to `path` atomically (temporary file in the same directory, then rename).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let io_error = |source| FileError::Io {
        path: path.display().to_string(),
        source,
    };
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(".slingshot-")
        .suffix(".partial")
        .tempfile_in(directory)
        .map_err(io_error)?;
    temporary.write_all(bytes).map_err(io_error)?;
    // Temporary files are created private (0600); an output file gets the permissions of the
    // file it replaces, or ordinary ones (0644).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = std::fs::metadata(path)
            .map(|metadata| metadata.permissions())
            .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
        temporary
            .as_file()
            .set_permissions(permissions)
            .map_err(io_error)?;
    }
    temporary.as_file().sync_all().map_err(io_error)?;
    temporary
        .persist(path)
        .map_err(|error| io_error(error.error))?;
    Ok(())
}
