//! Imports and exports run as background jobs for the HTTP service: a file is received into the
//! spool directory and answered with a batch id at once; the import then runs on its own (one
//! at a time: the database takes one writer well), and an export writes its file into the spool
//! for the account that asked for it to download until it expires.
//!
//! The spool directory holds patient data: it is created private to the service's account
//! (mode 0700) and every file is deleted when its job no longer needs it.

use super::abstracts::Access;
use super::audit::AuditFacts;
use super::auth::RequestContext;
use super::exports::ExportRequest;
use super::imports::{ImportBatch, ImportMode, ImportRequest, job_context};
use super::search::FilterInput;
use super::{AppError, Registry};
use crate::core::auth::Permission;
use crate::core::hex::lower_hex;
use crate::core::naaccr::dictionary::RecordType;
use crate::core::naaccr::xml::MaybeGzip;
use crate::store::imports::{self as iq, ExportResult, ExportRow};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The directory where received files wait for their import and exports wait for download.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

impl Spool {
    /// Opens (creating it if needed, private to this account) the spool directory `dir`.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new, unique path for a file being received.
    pub fn new_upload_path(&self) -> PathBuf {
        self.dir
            .join(format!("upload-{}.part", uuid::Uuid::new_v4().simple()))
    }

    /// Where the file of import batch `batch` waits for its import.
    pub fn import_path(&self, batch: i64) -> PathBuf {
        self.dir.join(format!("import-{batch}.xml"))
    }

    /// Where the file of export `id` is kept for download.
    pub fn export_path(&self, id: i64, gzip: bool) -> PathBuf {
        self.dir
            .join(format!("export-{id}.xml{}", if gzip { ".gz" } else { "" }))
    }
}

/// What an HTTP client asks to export (stored with the job, as JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportSpec {
    /// Record type A, M, C or I (default A).
    pub record_type: Option<String>,
    /// NAACCR version of the file (default: the newest).
    pub dictionary_version: Option<String>,
    /// Tumors diagnosed on or after (CCYYMMDD, CCYYMM or CCYY).
    pub diagnosis_from: Option<String>,
    /// Tumors diagnosed on or before.
    pub diagnosis_to: Option<String>,
    /// Tumors of this reporting facility.
    pub facility: Option<String>,
    /// Tumors of these primary sites (comma-separated).
    pub primary_site: Option<String>,
    /// Compress the file with gzip.
    #[serde(default)]
    pub gzip: bool,
}

/// An export job as the requester sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportJob {
    /// The job as stored.
    pub row: ExportRow,
    /// What was asked.
    pub spec: ExportSpec,
}

/// A file received over HTTP, in the spool, ready to become an import batch.
#[derive(Debug, Clone)]
pub struct ReceivedFile {
    /// Where it was written.
    pub path: PathBuf,
    /// The name the client gave.
    pub file_name: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Its size.
    pub size: u64,
}

/// Runs imports and exports in the background.
#[derive(Debug, Clone)]
pub struct Jobs {
    registry: Registry,
    spool: Spool,
    imports: Arc<Semaphore>,
    retention: chrono::Duration,
}

impl Jobs {
    /// Jobs of `registry`, keeping files in `spool`, export files for `retention`.
    pub fn new(registry: Registry, spool: Spool, retention: chrono::Duration) -> Self {
        Self {
            registry,
            spool,
            imports: Arc::new(Semaphore::new(1)),
            retention,
        }
    }

    /// The spool.
    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    /// Marks jobs a stopped service left unfinished as failed and deletes their files and the
    /// files of expired exports. Call once when the service starts.
    pub async fn recover(&self) -> Result<usize, AppError> {
        let n = self.registry.fail_interrupted_jobs().await?;
        if let Ok(entries) = std::fs::read_dir(self.spool.dir()) {
            for e in entries.flatten() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                if name.starts_with("upload-") || name.starts_with("import-") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        self.expire_exports().await?;
        Ok(n)
    }

    /// Records a received file as an import batch and starts its import in the background;
    /// returns the batch as recorded. The file is deleted when the import ends (or now, if
    /// refused).
    pub async fn start_import(
        &self,
        ctx: &RequestContext,
        file: ReceivedFile,
        mode: ImportMode,
    ) -> Result<ImportBatch, AppError> {
        let request = ImportRequest {
            file_name: file.file_name.clone(),
            sha256: file.sha256.clone(),
            mode,
            dry_run: false,
            file_size: file.size,
        };
        let received = match self.registry.receive_import(ctx, &request).await {
            Ok(b) => b,
            Err(e) => {
                let _ = std::fs::remove_file(&file.path);
                return Err(e);
            }
        };
        let batch = received.row.id;
        let path = self.spool.import_path(batch);
        if let Err(e) = std::fs::rename(&file.path, &path) {
            let _ = std::fs::remove_file(&file.path);
            return Err(AppError::Internal(format!("spool: {e}")));
        }
        let registry = self.registry.clone();
        let gate = self.imports.clone();
        let job_ctx = job_context(ctx, &format!("import-batch-{batch}"));
        tokio::spawn(async move {
            let _turn = gate.acquire_owned().await;
            let result = match std::fs::File::open(&path)
                .and_then(|f| MaybeGzip::detect(BufReader::with_capacity(256 * 1024, f)))
            {
                Ok(input) => registry
                    .run_import(&job_ctx, batch, request, input, |_| {})
                    .await
                    .map(|_| ()),
                Err(e) => Err(AppError::Internal(format!("spool: {e}"))),
            };
            if let Err(e) = result
                && !matches!(e, AppError::ImportRefused(_))
            {
                tracing::error!(batch, error = %e, "import failed");
            }
            let _ = std::fs::remove_file(&path);
        });
        Ok(received)
    }

    /// Checks what is asked, records an export job and starts it in the background; returns
    /// the job as recorded.
    pub async fn start_export(
        &self,
        ctx: &RequestContext,
        spec: ExportSpec,
    ) -> Result<ExportJob, AppError> {
        self.expire_exports().await?;
        let request = self.registry.export_request(&spec)?;
        let job = self.registry.record_export(ctx, &spec).await?;
        let id = job.row.id;
        let path = self.spool.export_path(id, spec.gzip);
        let registry = self.registry.clone();
        let job_ctx = job_context(ctx, &format!("export-{id}"));
        let retention = self.retention;
        tokio::spawn(async move {
            registry
                .run_export_job(&job_ctx, id, request, spec.gzip, path, retention)
                .await;
        });
        Ok(job)
    }

    /// Records a run of edit set `set` over the stored abstracts the caller may see and starts
    /// it in the background; returns the run as recorded.
    pub async fn start_edit_run(
        &self,
        ctx: &RequestContext,
        set: String,
    ) -> Result<crate::store::edit_runs::EditRunRow, AppError> {
        let run = self.registry.start_edit_run(ctx, set).await?;
        let registry = self.registry.clone();
        let job_ctx = job_context(ctx, &format!("edit-run-{}", run.id));
        let job = run.clone();
        tokio::spawn(async move {
            if let Err(e) = registry.execute_edit_run(&job_ctx, &job, |_| {}).await {
                tracing::error!(run = job.id, error = %e, "edit run failed");
            }
        });
        Ok(run)
    }

    /// Marks exports past their time as expired and deletes their files.
    pub async fn expire_exports(&self) -> Result<(), AppError> {
        let now = self.registry.now();
        let ids = self
            .registry
            .db()
            .run(move |conn| iq::expire_export_jobs(conn, now))
            .await?;
        for id in ids {
            for gzip in [false, true] {
                let _ = std::fs::remove_file(self.spool.export_path(id, gzip));
            }
        }
        Ok(())
    }

    /// The file of a finished export, for its requester to download: its path and job.
    /// Audited as a download.
    pub async fn export_download(
        &self,
        ctx: &RequestContext,
        id: i64,
    ) -> Result<(PathBuf, ExportJob), AppError> {
        self.expire_exports().await?;
        let job = self.registry.download_export(ctx, id).await?;
        Ok((self.spool.export_path(id, job.spec.gzip), job))
    }
}

/// Counts and hashes what passes through to the file.
struct Hashing<W: Write> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        let written = buf.get(..n).unwrap_or_default();
        self.hasher.update(written);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The export's output: plain or gzip over a hashing file writer.
enum ExportOut {
    Plain(Hashing<BufWriter<std::fs::File>>),
    Gzip(flate2::write::GzEncoder<Hashing<BufWriter<std::fs::File>>>),
}

impl Write for ExportOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            ExportOut::Plain(w) => w.write(buf),
            ExportOut::Gzip(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            ExportOut::Plain(w) => w.flush(),
            ExportOut::Gzip(w) => w.flush(),
        }
    }
}

impl ExportOut {
    fn create(path: &Path, gzip: bool) -> std::io::Result<Self> {
        let file = std::fs::File::create(path)?;
        let hashing = Hashing {
            inner: BufWriter::with_capacity(1 << 20, file),
            hasher: Sha256::new(),
            bytes: 0,
        };
        Ok(if gzip {
            ExportOut::Gzip(flate2::write::GzEncoder::new(
                hashing,
                flate2::Compression::default(),
            ))
        } else {
            ExportOut::Plain(hashing)
        })
    }

    /// Flushes everything to the file; returns the file's SHA-256 (hex) and size.
    fn finish(self) -> std::io::Result<(String, u64)> {
        let mut h = match self {
            ExportOut::Plain(h) => h,
            ExportOut::Gzip(g) => g.finish()?,
        };
        h.flush()?;
        h.inner.get_ref().sync_all()?;
        Ok((lower_hex(&h.hasher.finalize()), h.bytes))
    }
}

impl Registry {
    /// The export request `spec` stands for, checked: a bad record type, dictionary version,
    /// date or site is refused before any job is recorded.
    pub fn export_request(&self, spec: &ExportSpec) -> Result<ExportRequest, AppError> {
        let record_type = match spec.record_type.as_deref() {
            None => RecordType::A,
            Some(t) => RecordType::parse(t).ok_or_else(|| {
                AppError::invalid(
                    crate::core::problem::Problem::new(
                        "invalid_record_type",
                        "recordType must be A, M, C or I",
                    )
                    .for_item("recordType"),
                )
            })?,
        };
        let dictionary = self.dictionary(spec.dictionary_version.as_deref())?;
        let filter = FilterInput {
            primary_site: spec.primary_site.clone(),
            diagnosis_from: spec.diagnosis_from.clone(),
            diagnosis_to: spec.diagnosis_to.clone(),
            facility: spec.facility.clone(),
        };
        // Parsed now so that a bad date or site is answered at once, not in the job.
        self.tumor_filter(filter.clone())?;
        Ok(ExportRequest {
            filter,
            record_type,
            dictionary_version: dictionary.version().to_owned(),
        })
    }

    /// Records an export job for the caller (`queued`).
    async fn record_export(
        &self,
        ctx: &RequestContext,
        spec: &ExportSpec,
    ) -> Result<ExportJob, AppError> {
        let access = Access::of(ctx);
        let now = self.clock.now();
        let json = serde_json::to_string(spec).map_err(|e| AppError::Internal(e.to_string()))?;
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "export.request",
            AuditFacts {
                detail: Some(json.clone()),
                ..AuditFacts::default()
            },
            move |conn, facts| {
                let owner = access.actor().unwrap_or_default().to_owned();
                let id = iq::insert_export_job(conn, &owner, &json, now)?;
                facts.id = Some(id);
                let row = iq::find_export_job(conn, id)?
                    .ok_or(AppError::NoSuchJob { kind: "export", id })?;
                export_job_of(row)
            },
        )
        .await
    }

    /// Writes the export `id` to `path` (through `path.part`, renamed when complete) and
    /// records how it ended. Never fails: a failure is recorded on the job.
    async fn run_export_job(
        &self,
        ctx: &RequestContext,
        id: i64,
        request: ExportRequest,
        gzip: bool,
        path: PathBuf,
        retention: chrono::Duration,
    ) {
        let part = path.with_extension("part");
        let result = async {
            self.db
                .run(move |conn| iq::start_export_job(conn, id))
                .await?;
            let out = ExportOut::create(&part, gzip)
                .map_err(|e| AppError::Internal(format!("spool: {e}")))?;
            let (summary, out) = self.export(ctx, request, out, |_| {}).await?;
            let (sha256, size) = out
                .finish()
                .map_err(|e| AppError::Internal(format!("spool: {e}")))?;
            std::fs::rename(&part, &path).map_err(|e| AppError::Internal(format!("spool: {e}")))?;
            Ok::<_, AppError>((summary, sha256, size))
        }
        .await;
        let now = self.clock.now();
        let (status, counts, sha, error, expires) = match result {
            Ok((s, sha, size)) => (
                "done",
                [
                    s.patients as i64,
                    s.tumors as i64,
                    s.skipped_other_version as i64,
                    i64::try_from(size).unwrap_or(i64::MAX),
                ],
                Some(sha),
                None,
                Some(now + retention),
            ),
            Err(e) => {
                tracing::error!(export = id, error = %e, "export failed");
                let _ = std::fs::remove_file(&part);
                ("failed", [0; 4], None, Some(e.to_string()), None)
            }
        };
        let recorded = self
            .db
            .run(move |conn| {
                iq::finish_export_job(
                    conn,
                    id,
                    &ExportResult {
                        status,
                        counts,
                        sha256: sha.as_deref(),
                        error: error.as_deref(),
                        expires_at: expires,
                    },
                    now,
                )
            })
            .await;
        if let Err(e) = recorded {
            tracing::error!(export = id, error = %e, "cannot record the end of an export");
        }
    }

    /// One export job of the caller's.
    pub async fn find_export(&self, ctx: &RequestContext, id: i64) -> Result<ExportJob, AppError> {
        self.export_job(ctx, id, "export.read", false).await
    }

    /// An export job of the caller's whose file can be downloaded now (audited as a download).
    async fn download_export(&self, ctx: &RequestContext, id: i64) -> Result<ExportJob, AppError> {
        self.export_job(ctx, id, "export.download", true).await
    }

    async fn export_job(
        &self,
        ctx: &RequestContext,
        id: i64,
        action: &'static str,
        ready: bool,
    ) -> Result<ExportJob, AppError> {
        let access = Access::of(ctx);
        let facts = AuditFacts {
            id: Some(id),
            ..AuditFacts::default()
        };
        self.audited(
            ctx,
            Permission::ReadPatientData,
            action,
            facts,
            move |conn, _| {
                let row = iq::find_export_job(conn, id)?
                    .filter(|r| access.actor() == Some(r.requested_by.as_str()))
                    .ok_or(AppError::NoSuchJob { kind: "export", id })?;
                if ready && row.status != "done" {
                    return Err(AppError::ExportNotReady {
                        id,
                        status: row.status,
                    });
                }
                export_job_of(row)
            },
        )
        .await
    }

    /// The caller's export jobs, newest first.
    pub async fn list_exports(
        &self,
        ctx: &RequestContext,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ExportJob>, AppError> {
        super::abstracts::check_page_size(limit)?;
        let access = Access::of(ctx);
        self.audited(
            ctx,
            Permission::ReadPatientData,
            "export.list",
            AuditFacts::default(),
            move |conn, _| {
                let owner = access.actor().unwrap_or_default().to_owned();
                iq::list_export_jobs(conn, &owner, before, limit)?
                    .into_iter()
                    .map(export_job_of)
                    .collect()
            },
        )
        .await
    }
}

fn export_job_of(row: ExportRow) -> Result<ExportJob, AppError> {
    let spec = super::error::from_stored_json("export request", &row.request)?;
    Ok(ExportJob { row, spec })
}
