//! TLS for every connection a user makes: the operator's certificate when
//! `TLS_CERT`/`TLS_KEY` are given, else a self-signed one generated once under
//! `<data dir>/tls/` and reused on every later start.

use std::path::{Path, PathBuf};

use axum_server::tls_rustls::RustlsConfig;

/// Where the certificate and key come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// True when CareLedger generated the certificate itself.
    pub self_signed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot write the generated certificate under {dir}: {source}")]
    Write { dir: PathBuf, source: std::io::Error },
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot load the certificate {cert} / key {key}: {source}")]
    Load { cert: PathBuf, key: PathBuf, source: std::io::Error },
}

/// Resolves the certificate files, generating a self-signed pair if needed.
pub fn ensure_files(data_dir: &Path, given: Option<(&Path, &Path)>) -> Result<TlsFiles, TlsError> {
    if let Some((cert, key)) = given {
        return Ok(TlsFiles { cert: cert.to_owned(), key: key.to_owned(), self_signed: false });
    }
    let dir = data_dir.join("tls");
    let files =
        TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem"), self_signed: true };
    if files.cert.exists() && files.key.exists() {
        return Ok(files);
    }
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    let generated = rcgen::generate_simple_self_signed(names)?;
    let write = |path: &Path, contents: String| -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        write_private(path, contents.as_bytes())
    };
    write(&files.key, generated.key_pair.serialize_pem())
        .and_then(|()| write(&files.cert, generated.cert.pem()))
        .map_err(|source| TlsError::Write { dir: dir.clone(), source })?;
    tracing::info!(cert = %files.cert.display(), "generated a self-signed TLS certificate");
    Ok(files)
}

/// Loads the files into a rustls server configuration.
pub async fn load(files: &TlsFiles) -> Result<RustlsConfig, TlsError> {
    RustlsConfig::from_pem_file(&files.cert, &files.key).await.map_err(|source| TlsError::Load {
        cert: files.cert.clone(),
        key: files.key.clone(),
        source,
    })
}

/// Writes a file readable by its owner only.
pub(crate) fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_then_reuses() {
        let dir = std::env::temp_dir().join(format!("careledger-tls-{}", std::process::id()));
        let first = ensure_files(&dir, None).expect("generate");
        assert!(first.self_signed);
        let pem = std::fs::read_to_string(&first.cert).expect("cert");
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let second = ensure_files(&dir, None).expect("reuse");
        assert_eq!(std::fs::read_to_string(&second.cert).expect("cert"), pem);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&first.key).expect("key").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn given_files_are_used_as_is() {
        let files = ensure_files(
            Path::new("/nonexistent"),
            Some((Path::new("/c.pem"), Path::new("/k.pem"))),
        )
        .expect("given");
        assert_eq!(
            files,
            TlsFiles { cert: "/c.pem".into(), key: "/k.pem".into(), self_signed: false }
        );
    }
}
