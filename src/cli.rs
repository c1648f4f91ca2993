//! Command-line definitions (clap derive types only; no logic). Flags mirror sops'
//! where sops has them, so existing scripts keep working.

use std::path::PathBuf;

use std::ffi::OsString;
use std::path::Path;

use clap::{Args, CommandFactory, Parser, Subcommand};

mod inject;
mod lifecycle;
pub use inject::{ExecEnvArgs, ExecFileArgs, NamingArgs, RenderArgs, RenderOutputArgs, WatchArgs};
pub use lifecycle::{AccessArgs, HistoryArgs, RevokeArgs, RotateValueArgs, StatusArgs};

/// Per-value encrypted secrets files, compatible with sops.
#[derive(Debug, Parser)]
#[command(
    name = "enseal",
    version,
    about = "Encrypt the values of YAML, JSON, dotenv, INI and binary files (sops v3 compatible)",
    after_help = "Examples:\n  enseal keygen                          # make a local age key\n  enseal encrypt secrets.yaml > secrets.enc.yaml\n  enseal decrypt secrets.enc.yaml\n  enseal decrypt --extract '[\"db\"][\"password\"]' secrets.enc.yaml"
)]
pub struct Cli {
    /// Use this .sops.yaml instead of searching from the current directory upwards.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// The command to run (a file name alone means `edit FILE`).
    #[command(subcommand)]
    pub command: Command,
}

/// `enseal FILE` means `enseal edit FILE`, as `sops FILE` does: the arguments with
/// `edit` put in when the first word is not a command but names a file (an existing
/// one, or a name with a `.` or `/`, so a mistyped command still gets clap's "did
/// you mean").
pub fn with_edit_shorthand(mut args: Vec<OsString>) -> Vec<OsString> {
    let mut i = 1;
    while let Some(word) = args.get(i).map(|a| a.to_string_lossy().into_owned()) {
        match word.as_str() {
            "--config" => i += 2,
            w if w.starts_with("--config=") => i += 1,
            w if w.starts_with('-') => return args,
            w => {
                let command = Cli::command();
                let known = w == "help"
                    || command
                        .get_subcommands()
                        .any(|c| c.get_name() == w || c.get_all_aliases().any(|a| a == w));
                if !known && (Path::new(w).exists() || w.contains(['.', '/'])) {
                    args.insert(i, "edit".into());
                }
                return args;
            }
        }
    }
    args
}

/// The subcommands.
// Parsed once per run: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Encrypt a file's values (keys, comments and structure stay readable).
    #[command(
        after_help = "Examples:\n  enseal encrypt --age age1... secrets.yaml > secrets.enc.yaml\n  enseal encrypt -i secrets.yaml                 # keys from .sops.yaml or the local key\n  enseal encrypt --encrypted-regex '^(data|stringData)$' -i k8s-secret.yaml\n  cat app.env | enseal encrypt --filename-override app.env > app.enc.env"
    )]
    Encrypt(EncryptArgs),
    /// Decrypt a file and print (or write) the plaintext.
    #[command(
        after_help = "Examples:\n  enseal decrypt secrets.enc.yaml\n  enseal decrypt --output-type json secrets.enc.yaml\n  enseal decrypt --extract '[\"db\"][\"password\"]' secrets.enc.yaml\n  enseal decrypt -i secrets.yaml                 # replace the file with its plaintext"
    )]
    Decrypt(DecryptArgs),
    /// Create a new local age identity (written 0600, never overwriting).
    #[command(
        after_help = "Examples:\n  enseal keygen                       # ~/.config/sops/age/keys.txt (read by sops too)\n  enseal keygen -o ci-key.txt"
    )]
    Keygen(KeygenArgs),
    /// Edit an encrypted file (or create one) in $EDITOR; `enseal FILE` does the same.
    #[command(
        after_help = "The plaintext copy lives in a private directory on a memory-backed filesystem\n($XDG_RUNTIME_DIR, /dev/shm) and is overwritten and removed however enseal stops.\nThe editor is $ENSEAL_EDITOR, $SOPS_EDITOR, $EDITOR or $VISUAL (arguments allowed), else vi.\n\nExamples:\n  enseal edit secrets.yaml\n  EDITOR='code --wait' enseal edit secrets.yaml\n  enseal edit new.yaml                    # a new file, keys from .sops.yaml or the local key\n  enseal edit --age age1… new.env        # a new file for these recipients"
    )]
    Edit(EditArgs),
    /// Set one value in an encrypted file (other values, their ciphertexts and the
    /// file's layout stay as they are).
    #[command(
        after_help = "Examples:\n  enseal set secrets.yaml '[\"db\"][\"password\"]' '\"n3w-pa55\"'\n  enseal set secrets.yaml '[\"replicas\"]' 3\n  printf '\"%s\"' \"$TOKEN\" | enseal set --value-stdin secrets.yaml '[\"api\"][\"token\"]'   # keeps it out of ps"
    )]
    Set(SetArgs),
    /// Remove one value (a key or a list item) from an encrypted file in place.
    #[command(after_help = "Example:\n  enseal unset secrets.yaml '[\"db\"][\"old_password\"]'")]
    Unset(UnsetArgs),
    /// Give files the keys their creation rule in .sops.yaml names now (values untouched).
    #[command(
        after_help = "Examples:\n  enseal updatekeys secrets.yaml          # shows the changes, asks before writing\n  enseal updatekeys -y secrets/*.yaml"
    )]
    Updatekeys(UpdatekeysArgs),
    /// A new data key for a file: every value encrypted again, recipients added or removed.
    #[command(
        after_help = "Examples:\n  enseal rotate -i secrets.yaml\n  enseal rotate -i --rm-age age1old… --add-age age1new… secrets.yaml"
    )]
    Rotate(RotateArgs),
    /// Add or delete key groups (the data key is split again among the groups).
    #[command(subcommand)]
    Groups(GroupsCommand),
    /// Find plaintext secrets in files (exit 1 when there are findings, 2 on errors).
    #[command(
        after_help = "Examples:\n  enseal scan                          # the current directory, .gitignore respected\n  enseal scan --format sarif -o enseal.sarif .\n  enseal scan --staged                 # what the next commit adds\n  enseal scan --since origin/main      # what a branch adds\n  enseal scan --history                # every version of every file\n  git diff | enseal scan -              # standard input"
    )]
    Scan(ScanArgs),
    /// Git integration: `setup` wires the drivers and the hook into a repository.
    #[command(subcommand)]
    Git(GitCommand),
    /// Checks run from git hooks (`enseal hook pre-commit`).
    #[command(subcommand)]
    Hook(HookCommand),
    /// Fill templates with secrets ({{ .db.password }}) and write them atomically.
    #[command(
        after_help = "Examples:\n  enseal render -s secrets.enc.yaml app.conf.tmpl -o app.conf --mode 0400\n  enseal render --out-dir /run/app config/*.tmpl\n  echo 'token={{ secret \"ci.enc.yaml\" \"github.token\" }}' | enseal render -\n\nThe template language is in docs/inject.md."
    )]
    Render(RenderArgs),
    /// Run a command with a file's values as environment variables (nothing printed).
    #[command(
        name = "exec-env",
        after_help = "Examples:\n  enseal exec-env secrets.enc.yaml -- ./migrate --up    # db.password → $DB_PASSWORD\n  enseal exec-env --env-prefix APP_ app.enc.env -- node server.js\n  enseal exec-env secrets.enc.yaml 'echo $DB_USER'      # one string: run by sh -c"
    )]
    ExecEnv(ExecEnvArgs),
    /// Run a command with a path to a file's decrypted content (a FIFO, removed after).
    #[command(
        name = "exec-file",
        after_help = "Examples:\n  enseal exec-file kubeconfig.enc.yaml -- kubectl --kubeconfig {} get pods\n  enseal exec-file --no-fifo --output-type json app.enc.yaml -- ./app --config {}"
    )]
    ExecFile(ExecFileArgs),
    /// Keep rendered templates (and a command's secrets) current as files change.
    #[command(
        after_help = "Examples:\n  enseal watch -s secrets.enc.yaml nginx.conf.tmpl -o /run/nginx.conf -- nginx -g 'daemon off;'\n  enseal watch --env app.enc.env --restart -- ./server\n\nAfter a change that alters the output, the command gets SIGHUP (--signal) or is\nrestarted (--restart). Rendered files are replaced atomically."
    )]
    Watch(WatchArgs),
    /// Give one value a new, generated value (optionally verified, then committed).
    #[command(
        name = "rotate-value",
        after_help = "Examples:\n  enseal rotate-value secrets.yaml db.password --generate password:32 --commit\n  enseal rotate-value secrets.yaml db.password --generate password:32 \\\n      --verify 'psql \"postgres://app:$ENSEAL_NEW_VALUE@db/app\" -c \"select 1\"' --commit"
    )]
    RotateValue(RotateValueArgs),
    /// Each value's and data key's age (from git history) against the policies.
    #[command(
        after_help = "Examples:\n  enseal status                      # every encrypted file in the repository\n  enseal status --check secrets/     # exit 1 when something is overdue (CI)\n  enseal status --format json\n\nPolicies ([[policy]] rotate_after, expires, generator) live in .enseal.toml: see docs/lifecycle.md."
    )]
    Status(StatusArgs),
    /// Remove a recipient from .sops.yaml and every file, with new data keys, in one commit.
    #[command(after_help = "Example:\n  enseal revoke --age age1former…")]
    Revoke(RevokeArgs),
    /// The commits that changed each key path of a file (no values unless asked).
    #[command(
        after_help = "Examples:\n  enseal history secrets.yaml\n  enseal history secrets.yaml db.password --show-values"
    )]
    History(HistoryArgs),
    /// Which recipients and groups can decrypt which files (from the metadata, no key).
    #[command(
        after_help = "Examples:\n  enseal access\n  enseal access --check              # [[access.rule]] in .enseal.toml"
    )]
    Access(AccessArgs),
    /// Print {"encrypted":true} or {"encrypted":false} for a file.
    #[command(after_help = "Example:\n  enseal filestatus secrets.yaml")]
    Filestatus(FilestatusArgs),
    /// Check keys, key files, the key services of .sops.yaml and the git setup; say what to fix.
    #[command(
        after_help = "Each key of each .sops.yaml rule gets a random probe wrapped and unwrapped, so an\nunreachable key service or a rule this machine cannot decrypt shows. Exit 1 when\nsomething fails.\n\nExamples:\n  enseal doctor\n  enseal doctor --format json"
    )]
    Doctor(DoctorArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  enseal completions bash > ~/.local/share/bash-completion/completions/enseal\n  enseal completions zsh > \"${fpath[1]}/_enseal\"\n  enseal completions fish > ~/.config/fish/completions/enseal.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (or write one page per command into a directory).
    #[command(
        after_help = "Examples:\n  enseal man | man -l -\n  enseal man --dir /usr/local/share/man/man1"
    )]
    Man(ManArgs),
}

/// `doctor` options.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Output: text or json.
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

/// `completions` options.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `man` options.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write enseal.1 and one enseal-COMMAND.1 per command into this directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Where the input comes from and what format it is.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// The file; omitted or `-` reads standard input.
    pub file: Option<PathBuf>,
    /// Input format: yaml, json, dotenv, ini or binary (default: from the file name).
    #[arg(long, value_name = "FORMAT")]
    pub input_type: Option<String>,
    /// Output format (default: the input format).
    #[arg(long, value_name = "FORMAT")]
    pub output_type: Option<String>,
    /// File name to use for stdin (format detection and .sops.yaml rules).
    #[arg(long, value_name = "NAME")]
    pub filename_override: Option<PathBuf>,
    /// Write the result back to the file.
    #[arg(short = 'i', long)]
    pub in_place: bool,
    /// Write the result to this file instead of standard output.
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Indentation for YAML/JSON output (default: YAML 4, JSON a tab, or .sops.yaml stores).
    #[arg(long, value_name = "N")]
    pub indent: Option<usize>,
}

/// `encrypt` options.
#[derive(Debug, Args)]
pub struct EncryptArgs {
    #[allow(missing_docs)]
    #[command(flatten)]
    pub input: InputArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub keys: KeyArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// How a new file is encrypted beyond its keys: which values, the MAC, the groups
/// needed (over the creation rule in .sops.yaml).
#[derive(Debug, Args, Default)]
pub struct RuleArgs {
    /// Leave values in clear when any key on their path ends with this (default _unencrypted).
    #[arg(long, value_name = "SUFFIX")]
    pub unencrypted_suffix: Option<String>,
    /// Encrypt only values with a key on their path ending with this.
    #[arg(long, value_name = "SUFFIX")]
    pub encrypted_suffix: Option<String>,
    /// Leave values in clear when any key on their path matches this regex.
    #[arg(long, value_name = "REGEX")]
    pub unencrypted_regex: Option<String>,
    /// Encrypt only values with a key on their path matching this regex.
    #[arg(long, value_name = "REGEX")]
    pub encrypted_regex: Option<String>,
    /// Leave values in clear when a preceding comment matches this regex.
    #[arg(long, value_name = "REGEX")]
    pub unencrypted_comment_regex: Option<String>,
    /// Encrypt only values preceded by a comment matching this regex.
    #[arg(long, value_name = "REGEX")]
    pub encrypted_comment_regex: Option<String>,
    /// Compute the MAC over encrypted values only (clear values stay editable).
    #[arg(long)]
    pub mac_only_encrypted: bool,
    /// Number of key groups needed to decrypt (Shamir).
    #[arg(long = "shamir-secret-sharing-threshold", value_name = "N")]
    pub shamir_threshold: Option<usize>,
}

/// The keys to encrypt for (one key group), as sops' flags name them.
#[derive(Debug, Args, Default)]
pub struct KeyArgs {
    /// age recipients (age1…, ssh-ed25519 …, ssh-rsa …), comma-separated or repeated [env: SOPS_AGE_RECIPIENTS]
    #[arg(
        short = 'a',
        long = "age",
        value_name = "RECIPIENT",
        value_delimiter = ','
    )]
    pub age: Vec<String>,
    /// PGP fingerprints, comma-separated or repeated [env: SOPS_PGP_FP]
    #[arg(
        short = 'p',
        long = "pgp",
        value_name = "FINGERPRINT",
        value_delimiter = ','
    )]
    pub pgp: Vec<String>,
    /// AWS KMS key ARNs (ARN or ARN+ROLE_ARN) [env: SOPS_KMS_ARN]
    #[arg(short = 'k', long = "kms", value_name = "ARN", value_delimiter = ',')]
    pub kms: Vec<String>,
    /// AWS profile for --kms keys.
    #[arg(long, value_name = "PROFILE")]
    pub aws_profile: Option<String>,
    /// GCP KMS resource IDs [env: SOPS_GCP_KMS_IDS]
    #[arg(long = "gcp-kms", value_name = "RESOURCE_ID", value_delimiter = ',')]
    pub gcp_kms: Vec<String>,
    /// Azure Key Vault key URLs [env: SOPS_AZURE_KEYVAULT_URLS]
    #[arg(long = "azure-kv", value_name = "URL", value_delimiter = ',')]
    pub azure_kv: Vec<String>,
    /// Vault transit key URIs [env: SOPS_VAULT_URIS]
    #[arg(long = "hc-vault-transit", value_name = "URI", value_delimiter = ',')]
    pub hc_vault_transit: Vec<String>,
}

/// `decrypt` options.
#[derive(Debug, Args)]
pub struct DecryptArgs {
    #[allow(missing_docs)]
    #[command(flatten)]
    pub input: InputArgs,
    /// Print only the value at this path, e.g. '["db"]["password"]' or '["list"][0]'.
    #[arg(long, value_name = "PATH")]
    pub extract: Option<String>,
    /// Decrypt even if the MAC does not match.
    #[arg(long)]
    pub ignore_mac: bool,
    /// Key types to try first, comma-separated (default age,pgp,…) [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
    /// Only check that the file (with -r, every encrypted file below the directory)
    /// decrypts and its MAC matches; nothing of the plaintext is printed.
    #[arg(long, conflicts_with_all = ["extract", "in_place", "output"])]
    pub check: bool,
    /// Walk directories (with --check).
    #[arg(short = 'r', long, requires = "check")]
    pub recursive: bool,
    /// Print the values as variables: dotenv, export (shell), json (a flat object of
    /// the names exec-env sets) or k8s-secret (a Kubernetes Secret manifest).
    #[arg(long, value_name = "FORMAT", conflicts_with_all = ["extract", "check", "output_type"])]
    pub format: Option<String>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub naming: NamingArgs,
    /// metadata.name of the Secret (k8s-secret; default: the file name, made valid).
    #[arg(long, value_name = "NAME")]
    pub secret_name: Option<String>,
    /// metadata.namespace of the Secret (k8s-secret).
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
}

/// `edit` options.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// The encrypted file (a missing one is created).
    pub file: PathBuf,
    /// Input format: yaml, json, dotenv, ini, toml or binary (default: from the file name).
    #[arg(long, value_name = "FORMAT")]
    pub input_type: Option<String>,
    /// Edit even if the MAC does not match (the file is saved with a new, matching MAC).
    #[arg(long)]
    pub ignore_mac: bool,
    /// Key types to try first, comma-separated [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
    /// Write the file afresh in sops' layout with this indentation (YAML/JSON).
    #[arg(long, value_name = "N")]
    pub indent: Option<usize>,
    /// Keys for a new file (an existing file keeps its own: see `rotate`, `updatekeys`).
    #[command(flatten)]
    pub keys: KeyArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub rules: RuleArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `set` options (the same as `sops set`).
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The encrypted file, changed in place.
    pub file: PathBuf,
    /// Where to put the value, e.g. '["db"]["password"]' or '["hosts"][0]'; missing keys
    /// are created and an index past the end of a list appends.
    pub index: String,
    /// The value as JSON ('"text"', 3, true, {"k": "v"}); omit with --value-stdin.
    pub value: Option<String>,
    /// Read the value (JSON) from standard input.
    #[arg(long, conflicts_with_all = ["value_file", "value"])]
    pub value_stdin: bool,
    /// Treat VALUE as a file holding the value (JSON).
    #[arg(long)]
    pub value_file: bool,
    /// Do nothing if the value is already there.
    #[arg(long)]
    pub idempotent: bool,
    /// Input format: yaml, json, dotenv, ini or toml (default: from the file name).
    #[arg(long, value_name = "FORMAT")]
    pub input_type: Option<String>,
    /// Change the file even if its MAC does not match.
    #[arg(long)]
    pub ignore_mac: bool,
    /// Key types to try first, comma-separated [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: ReportArgs,
}

/// How `set`, `unset`, `edit`, `rotate` and `updatekeys` report what they changed (key
/// paths and keys, never values).
#[derive(Debug, Args, Default, Clone, Copy)]
pub struct ReportArgs {
    /// Print nothing after the change.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the changed key paths as JSON on standard output instead.
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,
}

/// `unset` options (the same as `sops unset`).
#[derive(Debug, Args)]
pub struct UnsetArgs {
    /// The encrypted file, changed in place.
    pub file: PathBuf,
    /// What to remove, e.g. '["db"]["password"]' or '["hosts"][0]'.
    pub index: String,
    /// Do nothing (and succeed) if there is no value at the path.
    #[arg(long)]
    pub idempotent: bool,
    /// Input format (default: from the file name).
    #[arg(long, value_name = "FORMAT")]
    pub input_type: Option<String>,
    /// Change the file even if its MAC does not match.
    #[arg(long)]
    pub ignore_mac: bool,
    /// Key types to try first [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `updatekeys` options.
#[derive(Debug, Args)]
pub struct UpdatekeysArgs {
    /// The encrypted files (or, with -r, directories), changed in place.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write without asking.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Walk directories: every encrypted file a creation rule covers.
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// Files worked on at once (default: the number of cores).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Input format (default: from each file's name).
    #[arg(long, value_name = "FORMAT")]
    pub input_type: Option<String>,
    /// Key types to try first when opening the files [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `rotate` options.
#[derive(Debug, Args)]
pub struct RotateArgs {
    #[allow(missing_docs)]
    #[command(flatten)]
    pub input: InputArgs,
    /// Walk a directory: every encrypted file a creation rule covers (needs -i).
    #[arg(short = 'r', long, requires = "in_place")]
    pub recursive: bool,
    /// Files worked on at once with -r (default: the number of cores).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
    /// age recipients to add (to the first key group).
    #[arg(long, value_name = "RECIPIENT", value_delimiter = ',')]
    pub add_age: Vec<String>,
    /// age recipients to remove (from every key group).
    #[arg(long, value_name = "RECIPIENT", value_delimiter = ',')]
    pub rm_age: Vec<String>,
    /// PGP fingerprints to add.
    #[arg(long, value_name = "FINGERPRINT", value_delimiter = ',')]
    pub add_pgp: Vec<String>,
    /// PGP fingerprints to remove.
    #[arg(long, value_name = "FINGERPRINT", value_delimiter = ',')]
    pub rm_pgp: Vec<String>,
    /// Vault transit key URIs to add.
    #[arg(long, value_name = "URI", value_delimiter = ',')]
    pub add_hc_vault_transit: Vec<String>,
    /// Vault transit key URIs to remove.
    #[arg(long, value_name = "URI", value_delimiter = ',')]
    pub rm_hc_vault_transit: Vec<String>,
    /// AWS KMS keys to add (ARN or ARN+ROLE_ARN).
    #[arg(long, value_name = "ARN", value_delimiter = ',')]
    pub add_kms: Vec<String>,
    /// AWS KMS keys to remove (ARN).
    #[arg(long, value_name = "ARN", value_delimiter = ',')]
    pub rm_kms: Vec<String>,
    /// GCP KMS resource IDs to add.
    #[arg(long, value_name = "RESOURCE_ID", value_delimiter = ',')]
    pub add_gcp_kms: Vec<String>,
    /// GCP KMS resource IDs to remove.
    #[arg(long, value_name = "RESOURCE_ID", value_delimiter = ',')]
    pub rm_gcp_kms: Vec<String>,
    /// Azure Key Vault key URLs to add.
    #[arg(long, value_name = "URL", value_delimiter = ',')]
    pub add_azure_kv: Vec<String>,
    /// Azure Key Vault key URLs to remove.
    #[arg(long, value_name = "URL", value_delimiter = ',')]
    pub rm_azure_kv: Vec<String>,
    /// Rotate even if the MAC does not match.
    #[arg(long)]
    pub ignore_mac: bool,
    /// Key types to try first [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
    /// More files to rotate (with --commit).
    #[arg(value_name = "MORE", requires = "commit")]
    pub more: Vec<std::path::PathBuf>,
    /// Rotate in place and commit the files, in one commit (refused when they have
    /// changes of yours).
    #[arg(long)]
    pub commit: bool,
    /// Rotate what the policies say is due: overdue values that have a generator and
    /// overdue data keys, across the repository.
    #[arg(long, conflicts_with = "recursive")]
    pub due: bool,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `scan` options.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and directories (default: `.`); `-` reads standard input.
    pub paths: Vec<PathBuf>,
    /// Report format: text, json or sarif.
    #[arg(long, default_value = "text", value_name = "FORMAT")]
    pub format: String,
    /// Write the report to this file instead of standard output.
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Skip files larger than this many bytes.
    #[arg(long, default_value_t = 10 << 20, value_name = "BYTES")]
    pub max_file_size: u64,
    /// Read files .gitignore and friends exclude too.
    #[arg(long)]
    pub no_ignore: bool,
    /// The name standard input is reported under.
    #[arg(long, default_value = "<stdin>", value_name = "NAME")]
    pub stdin_name: String,
    /// Scan what is staged: the lines the index adds (as the pre-commit check does).
    #[arg(long, conflicts_with_all = ["paths", "since", "history"])]
    pub staged: bool,
    /// Scan the lines added since this revision (`git diff REV HEAD`), e.g. in CI for a
    /// pull request: `--since origin/main`.
    #[arg(long, value_name = "REV", conflicts_with_all = ["paths", "history"])]
    pub since: Option<String>,
    /// Scan every blob of the history once (all branches and tags), reporting the
    /// commit that introduced each finding.
    #[arg(long, conflicts_with = "paths")]
    pub history: bool,
    /// Accepted findings: a JSON report of an earlier run (`--format json -o FILE`);
    /// findings with the same fingerprint are not reported [default: scan.baseline in
    /// .enseal.toml].
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Scanner settings (rules, allowlists) [default: .enseal.toml, searched upwards].
    #[arg(long, value_name = "FILE")]
    pub scan_config: Option<PathBuf>,
    /// Do not look for the values of the encrypted files in clear (by default, every
    /// encrypted file a key at hand opens lends its values to the scan).
    #[arg(long)]
    pub no_known: bool,
}

/// `git` subcommands.
#[derive(Debug, Subcommand)]
pub enum GitCommand {
    /// Set this repository up: .gitattributes for the encrypted files, the diff and
    /// merge drivers in .git/config, the pre-commit hook (an existing hook is chained).
    #[command(
        after_help = "Examples:\n  enseal git setup              # again after adding creation rules: it is idempotent\n  enseal git setup --uninstall"
    )]
    Setup(GitSetupArgs),
    /// The diff driver: print a file's plaintext for `git diff` (values masked when
    /// there is no key). Called by git.
    Textconv(GitTextconvArgs),
    /// The merge driver: merge three versions of an encrypted file key by key. Called
    /// by git as `enseal git merge %O %A %B %P`.
    Merge(GitMergeArgs),
    /// List untracked, unignored files that look like decrypted copies of secrets.
    CleanCheck,
}

/// `git setup` options.
#[derive(Debug, Args)]
pub struct GitSetupArgs {
    /// Remove what setup added (attributes block, config, hook), restoring a chained hook.
    #[arg(long)]
    pub uninstall: bool,
}

/// `git textconv` arguments.
#[derive(Debug, Args)]
pub struct GitTextconvArgs {
    /// The file (git passes a temporary copy of a blob, named like the original).
    pub file: PathBuf,
}

/// `git merge` arguments (git's `%O %A %B %P`).
#[derive(Debug, Args)]
pub struct GitMergeArgs {
    /// The common ancestor's version (%O).
    pub base: PathBuf,
    /// Ours (%A): the merged result is written here.
    pub ours: PathBuf,
    /// Theirs (%B).
    pub theirs: PathBuf,
    /// The file's path in the repository (%P), for its format.
    pub path: PathBuf,
}

/// `hook` subcommands.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Check the staged files: nothing that must be encrypted is committed in clear,
    /// no encrypted file is broken. Needs no key.
    PreCommit,
}

/// `groups` subcommands.
#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// Add a key group made of the given keys.
    #[command(
        after_help = "Example:\n  enseal groups add -i --age age1break-glass… --shamir-secret-sharing-threshold 2 secrets.yaml"
    )]
    Add(GroupsAddArgs),
    /// Delete the key group at an index (0 is the first).
    #[command(after_help = "Example:\n  enseal groups delete -i secrets.yaml 2")]
    Delete(GroupsDeleteArgs),
}

/// `groups add` options.
#[derive(Debug, Args)]
pub struct GroupsAddArgs {
    /// The encrypted file.
    pub file: PathBuf,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub keys: KeyArgs,
    /// Groups needed to decrypt from now on (default: unchanged).
    #[arg(long = "shamir-secret-sharing-threshold", value_name = "N")]
    pub shamir_threshold: Option<usize>,
    /// Write the result back to the file (default: standard output).
    #[arg(short = 'i', long)]
    pub in_place: bool,
    /// Key types to try first [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
}

/// `groups delete` options.
#[derive(Debug, Args)]
pub struct GroupsDeleteArgs {
    /// The encrypted file.
    pub file: PathBuf,
    /// The group's index (0 is the first).
    pub index: usize,
    /// Groups needed to decrypt from now on (default: unchanged, at most the groups left).
    #[arg(long = "shamir-secret-sharing-threshold", value_name = "N")]
    pub shamir_threshold: Option<usize>,
    /// Write the result back to the file (default: standard output).
    #[arg(short = 'i', long)]
    pub in_place: bool,
    /// Key types to try first [env: SOPS_DECRYPTION_ORDER]
    #[arg(long, value_name = "LIST")]
    pub decryption_order: Option<String>,
}

/// `keygen` options.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the identity (default: $SOPS_AGE_KEY_FILE, else ~/.config/sops/age/keys.txt).
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

/// `filestatus` options.
#[derive(Debug, Args)]
pub struct FilestatusArgs {
    /// The file to check.
    pub file: PathBuf,
    /// Input format (default: from the file name).
    #[arg(long, value_name = "FORMAT")]
    pub input_type: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<OsString> {
        line.split(' ').map(OsString::from).collect()
    }

    #[test]
    fn a_file_alone_means_edit() {
        assert_eq!(
            with_edit_shorthand(words("enseal s.yaml")),
            words("enseal edit s.yaml")
        );
        assert_eq!(
            with_edit_shorthand(words("enseal --config c.yaml dir/s --ignore-mac")),
            words("enseal --config c.yaml edit dir/s --ignore-mac")
        );
        for unchanged in [
            "enseal decrypt s.yaml",
            "enseal decryt",
            "enseal --help",
            "enseal help",
            "enseal",
        ] {
            assert_eq!(with_edit_shorthand(words(unchanged)), words(unchanged));
        }
        Cli::command().debug_assert();
    }
}
