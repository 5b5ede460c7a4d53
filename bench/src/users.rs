//! `wirecrypt users`: the users file the FTP/FTPS and SFTP servers check passwords
//! against (salted PBKDF2-HMAC-SHA256 hashes, one user a line). Passwords are read from
//! standard input, never from the command line, and never printed.

use std::error::Error;
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use wirecrypt_xfer::users::UsersFile;

/// Arguments of `wirecrypt users`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: UsersCommand,
}

#[derive(clap::Subcommand, Debug)]
enum UsersCommand {
    /// Adds a user (or sets a new password for one), reading the password from
    /// standard input; creates the file when it does not exist.
    Add {
        /// The users file.
        file: PathBuf,
        /// The user's name.
        name: String,
        /// The directory this user is confined to by `serve sftp` (absolute, or
        /// relative to the server's --root); without it the user keeps any root the
        /// file already names, and a new user gets the server's root.
        #[arg(long, value_name = "DIR")]
        root: Option<String>,
    },
    /// Removes a user.
    Remove {
        /// The users file.
        file: PathBuf,
        /// The user's name.
        name: String,
    },
    /// Lists the user names.
    List {
        /// The users file.
        file: PathBuf,
    },
}

/// Runs `wirecrypt users`.
pub fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    match &args.command {
        UsersCommand::Add { file, name, root } => {
            let mut users = load_or_new(file)?;
            let password = read_password(name)?;
            let replaced = users.names().any(|n| n == name);
            if replaced {
                users.set_password(name, &password)?;
            } else {
                users.add(name, &password)?;
            }
            if let Some(root) = root {
                users.set_root(name, Some(root))?;
            }
            users.save(file)?;
            println!(
                "{} '{name}' in {}",
                if replaced {
                    "new password for"
                } else {
                    "added"
                },
                file.display()
            );
        }
        UsersCommand::Remove { file, name } => {
            let mut users = UsersFile::load(file)?;
            if !users.remove(name) {
                return Err(format!("no user '{name}' in {}", file.display()).into());
            }
            users.save(file)?;
            println!("removed '{name}' from {}", file.display());
        }
        UsersCommand::List { file } => {
            let users = UsersFile::load(file)?;
            for name in users.names() {
                match users.root(name) {
                    Some(root) => println!("{name} (root {root})"),
                    None => println!("{name}"),
                }
            }
        }
    }
    Ok(())
}

fn load_or_new(file: &Path) -> Result<UsersFile, Box<dyn Error>> {
    if file.exists() {
        Ok(UsersFile::load(file)?)
    } else {
        Ok(UsersFile::new())
    }
}

/// The first line of standard input, without its line end. On a terminal the prompt
/// goes to standard error; the password still echoes (this command line has no TTY
/// control), so pipe it in where that matters.
fn read_password(name: &str) -> Result<String, Box<dyn Error>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password for '{name}': ");
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err("no password on standard input".into());
    }
    Ok(password)
}
