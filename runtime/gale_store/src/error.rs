//! The store's error type.
//!
//! Every fallible operation returns [`StoreError`]. SQLite and JSON failures are
//! wrapped as they are; the other variants describe problems the store detects
//! itself (a database written by a newer Gale, a value that cannot be decoded).

use std::fmt;
use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Why a store operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite reported an error (I/O, constraint, busy after the timeout, …).
    Sqlite(rusqlite::Error),
    /// A value could not be encoded to or decoded from JSON.
    Json(serde_json::Error),
    /// The directory holding the database could not be created.
    Io {
        /// The path that could not be created.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The database was written by a newer Gale: its schema version is above the
    /// newest this build knows. Nothing was changed.
    SchemaTooNew {
        /// `PRAGMA user_version` found in the file.
        found: i64,
        /// The newest schema version this build can read.
        supported: i64,
    },
    /// A stored value does not decode (for example an unknown state name).
    Corrupt(String),
    /// The database could not be switched to WAL mode (e.g. a read-only medium).
    NotWal(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Sqlite(e) => write!(f, "store: {e}"),
            StoreError::Json(e) => write!(f, "store: invalid JSON value: {e}"),
            StoreError::Io { path, source } => {
                write!(f, "store: cannot create `{}`: {source}", path.display())
            }
            StoreError::SchemaTooNew { found, supported } => write!(
                f,
                "store: the database has schema version {found}, but this gale only knows \
                 versions up to {supported}; upgrade gale or use another --db"
            ),
            StoreError::Corrupt(msg) => write!(f, "store: corrupt value: {msg}"),
            StoreError::NotWal(mode) => write!(
                f,
                "store: the database cannot use WAL journaling (journal mode is `{mode}`)"
            ),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Sqlite(e) => Some(e),
            StoreError::Json(e) => Some(e),
            StoreError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Json(e)
    }
}

impl StoreError {
    /// True when the error is SQLite's "database is busy/locked" after the busy
    /// timeout ran out: another process held the write lock for too long.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}
