//! One module per subcommand: parsed arguments in, library calls, output.

pub mod enter;
pub mod info;
pub mod limits;
pub mod ls;
pub mod netns;
pub mod run;
