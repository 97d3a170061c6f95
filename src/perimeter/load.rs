//! Reading DataPerimeter configuration from paths, the one way every command does it: `check`,
//! `analyze`, `audit` and `serve` take the same files, directories and standard input, so a
//! perimeter directory that CI checks against is read exactly as the webhook will read it.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::config::{ConfigError, DataPerimeter, load_perimeters};

/// The text of one configuration file, named as it appears in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigText {
    /// The file's path, or `standard input`.
    pub source_name: String,
    pub text: String,
}

/// Why a set of configuration paths gave no usable configuration.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("standard input can be given only once (--perimeter -)")]
    StdinTwice,
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    #[error("{source_name}: metadata.name: {name:?} is defined twice")]
    DefinedTwice { source_name: String, name: String },
    #[error("no DataPerimeter found in {0}")]
    Empty(String),
}

/// The name standard input is given in messages.
pub const STDIN_NAME: &str = "standard input";

/// Reads, parses and validates every path: see [`read`] and [`parse`].
pub fn load(paths: &[PathBuf], stdin: &mut dyn Read) -> Result<Vec<DataPerimeter>, LoadError> {
    let texts = read(paths, stdin)?;
    parse(paths, &texts)
}

/// Every configuration file's text, in a stable order. `-` is standard input (once); a directory
/// contributes its `.yaml`, `.yml` and `.json` files in name order, not its hidden entries nor its
/// subdirectories: a mounted ConfigMap keeps its real files in hidden `..data` folders behind
/// symbolic links, which would otherwise be read twice.
pub fn read(paths: &[PathBuf], stdin: &mut dyn Read) -> Result<Vec<ConfigText>, LoadError> {
    let read_error = |path: &Path, source| LoadError::Read {
        path: path.display().to_string(),
        source,
    };
    let mut texts = Vec::new();
    let mut stdin_read = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if std::mem::replace(&mut stdin_read, true) {
                return Err(LoadError::StdinTwice);
            }
            let mut text = String::new();
            stdin
                .read_to_string(&mut text)
                .map_err(|source| LoadError::Read {
                    path: STDIN_NAME.to_owned(),
                    source,
                })?;
            texts.push(ConfigText {
                source_name: STDIN_NAME.to_owned(),
                text,
            });
            continue;
        }
        let meta = std::fs::metadata(path).map_err(|e| read_error(path, e))?;
        let files = if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| read_error(path, e))?
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|p| is_config_file(p))
                .collect();
            found.sort();
            found
        } else {
            vec![path.clone()]
        };
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|e| read_error(&file, e))?;
            texts.push(ConfigText {
                source_name: file.display().to_string(),
                text,
            });
        }
    }
    Ok(texts)
}

/// Parses and validates the texts read from `paths` into one configuration: a name defined twice
/// anywhere, and a configuration with no DataPerimeter at all, are errors.
pub fn parse(paths: &[PathBuf], texts: &[ConfigText]) -> Result<Vec<DataPerimeter>, LoadError> {
    let mut perimeters: Vec<DataPerimeter> = Vec::new();
    for t in texts {
        for dp in load_perimeters(&t.text, &t.source_name)? {
            if perimeters
                .iter()
                .any(|p| p.metadata.name == dp.metadata.name)
            {
                return Err(LoadError::DefinedTwice {
                    source_name: t.source_name.clone(),
                    name: dp.metadata.name,
                });
            }
            perimeters.push(dp);
        }
    }
    if perimeters.is_empty() {
        let where_: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(LoadError::Empty(where_.join(", ")));
    }
    Ok(perimeters)
}

/// A digest of the files' names and bytes: equal digests, equal configuration text.
pub fn fingerprint(texts: &[ConfigText]) -> Vec<u8> {
    let mut fingerprint = Sha256::new();
    for t in texts {
        fingerprint.update(t.source_name.as_bytes());
        fingerprint.update([0]);
        fingerprint.update(t.text.as_bytes());
        fingerprint.update([0]);
    }
    fingerprint.finalize().to_vec()
}

fn is_config_file(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_none_or(|n| n.starts_with('.'));
    let ext_ok = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    );
    !hidden && ext_ok && path.is_file()
}

/// The first 16 hex digits of the SHA-256 of the configuration's canonical JSON: the perimeters,
/// and the exceptions by name when there are any (so a configuration without exceptions keeps
/// the hash it always had).
pub fn configuration_hash(
    perimeters: &[DataPerimeter],
    exceptions: &super::exception::Exceptions,
) -> String {
    let json = if exceptions.is_empty() {
        serde_json::to_vec(perimeters)
    } else {
        serde_json::to_vec(&(perimeters, exceptions.canonical()))
    }
    .unwrap_or_default();
    let digest = Sha256::digest(&json);
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORP: &str = "apiVersion: perimeterguard.io/v1alpha1\nkind: DataPerimeter\nmetadata: {name: corp}\nspec:\n  identity: {trustedOrganizations: [o-abc123def4]}\n";

    #[test]
    fn a_directory_reads_its_visible_config_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.yaml"), CORP.replace("corp", "b")).unwrap();
        std::fs::write(dir.path().join("a.yml"), CORP.replace("corp", "a")).unwrap();
        std::fs::write(dir.path().join(".hidden.yaml"), CORP).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not yaml").unwrap();
        std::fs::create_dir(dir.path().join("..data")).unwrap();
        std::fs::write(dir.path().join("..data/corp.yaml"), CORP).unwrap();
        let perimeters = load(&[dir.path().to_owned()], &mut std::io::empty()).unwrap();
        let names: Vec<&str> = perimeters
            .iter()
            .map(|p| p.metadata.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn standard_input_is_one_source_and_only_once() {
        let mut stdin = CORP.as_bytes();
        let perimeters = load(&["-".into()], &mut stdin).unwrap();
        assert_eq!(perimeters[0].metadata.name, "corp");
        let e = load(&["-".into(), "-".into()], &mut CORP.as_bytes()).unwrap_err();
        assert!(matches!(e, LoadError::StdinTwice), "{e}");
    }

    #[test]
    fn a_name_defined_in_two_files_is_refused_with_the_second_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), CORP).unwrap();
        std::fs::write(dir.path().join("b.yaml"), CORP).unwrap();
        let e = load(&[dir.path().to_owned()], &mut std::io::empty()).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("b.yaml: metadata.name: \"corp\" is defined twice"),
            "{e}"
        );
    }

    #[test]
    fn missing_paths_and_empty_directories_say_where() {
        let e = load(&["/nonexistent/p.yaml".into()], &mut std::io::empty()).unwrap_err();
        assert!(e.to_string().starts_with("/nonexistent/p.yaml: "), "{e}");
        assert!(
            std::error::Error::source(&e).is_some(),
            "the io error is kept"
        );
        let dir = tempfile::tempdir().unwrap();
        let e = load(&[dir.path().to_owned()], &mut std::io::empty()).unwrap_err();
        assert!(
            e.to_string().starts_with("no DataPerimeter found in "),
            "{e}"
        );
    }
}
