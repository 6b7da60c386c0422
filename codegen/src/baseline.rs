//! Baselines for `herald check`: a directory or file, or a git revision read straight from the
//! object database into a [`FileSet`] (no checkout, no temporary directory: blobs are streamed
//! with `git cat-file --batch`).

use std::io::Write;

use crate::config::CONFIG_FILE;
use crate::files::{is_schema_file, skipped_name, FileSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The schema files of `path` (a directory or a file inside a git work tree) at `rev`, read into
/// memory straight from git's object database: `herald.toml` and every `.proto`/`.avsc` file under
/// `path` (hidden and `target` directories skipped, as a walk of the disk skips them), named and
/// shown as the files under `path` are. A file `path` gives a set of that one file.
pub fn git_files(path: &Path, rev: &str) -> Result<FileSet, String> {
    let abs = std::path::absolute(path).map_err(|e| e.to_string())?;
    let single = abs.is_file();
    let dir = if single {
        abs.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        abs.clone()
    };
    let git = |args: &[&str]| -> Result<Vec<u8>, String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(args)
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    };
    let top = String::from_utf8_lossy(
        &git(&["rev-parse", "--show-toplevel"])
            .map_err(|e| format!("`{}` is not in a git repository: {e}", path.display()))?,
    )
    .trim()
    .to_owned();
    let top = PathBuf::from(top);
    let commit = git(&["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
        .map_err(|_| format!("git revision `{rev}` does not exist"))?;
    let commit = String::from_utf8_lossy(&commit).trim().to_owned();
    let rel = abs
        .strip_prefix(&top)
        .map_err(|_| format!("`{}` is outside the git work tree", path.display()))?;
    let prefix = rel.to_string_lossy().replace('\\', "/");
    // The directory the set's names are relative to, as a path under the top of the work tree.
    let base = if single {
        prefix.rsplit_once('/').map(|(d, _)| d.to_owned()).unwrap_or_default()
    } else {
        prefix.clone()
    };
    // Paths relative to the top of the work tree, whatever directory git runs in.
    let listing = git(&["ls-tree", "-r", "-z", "--full-tree", "--name-only", &commit])?;
    let names: Vec<(String, String)> = listing
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .filter_map(|n| {
            let name = if single {
                (n == prefix).then(|| n.rsplit('/').next().unwrap_or(&n).to_owned())?
            } else if base.is_empty() {
                n.clone()
            } else {
                n.strip_prefix(&format!("{base}/"))?.to_owned()
            };
            let wanted = if single {
                true
            } else {
                (is_schema_file(&name) && !skipped_name(&name)) || name == CONFIG_FILE
            };
            wanted.then_some((n, name))
        })
        .collect();
    let mut files = if single {
        FileSet::for_file(&abs)
    } else {
        FileSet::new(path)
    };
    if names.is_empty() {
        return Ok(files);
    }
    let blobs = cat_blobs(&top, &commit, names.iter().map(|(n, _)| n.as_str()))?;
    for ((_, name), body) in names.iter().zip(blobs) {
        files.insert(name.clone(), body);
    }
    Ok(files)
}

/// The content of each of `names` (paths from the top of the work tree `top`) at `commit`, in
/// order, streamed through one `git cat-file --batch`.
fn cat_blobs<'a>(top: &Path, commit: &str, names: impl Iterator<Item = &'a str>) -> Result<Vec<Vec<u8>>, String> {
    let requests: String = names.map(|n| format!("{commit}:{n}\n")).collect();
    let count = requests.lines().count();
    let mut child = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("git cat-file has no stdin")?;
    let writer = std::thread::spawn(move || stdin.write_all(requests.as_bytes()));
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    writer
        .join()
        .map_err(|_| "git cat-file writer failed")?
        .map_err(|e| e.to_string())?;
    // Each object: "<sha> blob <size>\n<content>\n".
    let mut rest = output.stdout.as_slice();
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let header_end = rest
            .iter()
            .position(|b| *b == b'\n')
            .ok_or("truncated git cat-file output")?;
        let header = String::from_utf8_lossy(&rest[..header_end]).into_owned();
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("unexpected git cat-file header `{header}`"))?;
        let body_start = header_end + 1;
        let body = rest
            .get(body_start..body_start + size)
            .ok_or("truncated git cat-file output")?;
        out.push(body.to_vec());
        rest = rest.get(body_start + size + 1..).unwrap_or_default();
    }
    Ok(out)
}

/// Whether `dir` is inside a git work tree whose `HEAD` names a commit (a repository with
/// history, which `git:HEAD` can be read from).
pub fn has_head(dir: &Path) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The schema files (`.proto`, `.avsc`, `herald.toml`) under `dir` that differ from git's `HEAD`
/// (modified, added, deleted or untracked), as absolute paths; `None` when `dir` is not in a git
/// work tree.
pub fn uncommitted_schema_files(dir: &Path) -> Option<Vec<PathBuf>> {
    let git = |args: &[&str]| -> Option<Vec<u8>> {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()?;
        out.status.success().then_some(out.stdout)
    };
    let top = PathBuf::from(String::from_utf8_lossy(&git(&["rev-parse", "--show-toplevel"])?).trim());
    let status = git(&[
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--no-renames",
        "--",
        ".",
    ])?;
    // Each entry: "XY <path relative to the top>\0".
    let mut files: Vec<PathBuf> = status
        .split(|b| *b == 0)
        .filter_map(|entry| entry.get(3..))
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .filter(|p| p.ends_with(".proto") || p.ends_with(".avsc") || p.ends_with(crate::config::CONFIG_FILE))
        .map(|p| top.join(p))
        .collect();
    files.sort();
    files.dedup();
    Some(files)
}
