//! Recipes: whole jobs, each a doctest that `cargo test` compiles and runs (as root; the
//! rootless one drops to uid 65534 in a child). The netlink and tokio crates they use are
//! dev-dependencies: lxns itself depends on neither.
//!
//! The rule behind all of them: a socket belongs to the network namespace it was **created**
//! in. Create it inside [`run`](crate::run)/[`Worker`](crate::Worker); use it from anywhere
//! afterwards.
//!
//! # A veth pair between two namespaces, configured over netlink
//!
//! The netlink socket is made inside namespace `a` (on the helper thread of
//! [`try_run`](crate::try_run)), so every request goes to `a`'s stack; `vb` is moved into `b`
//! by fd; then `b`'s end is configured from inside `b`. A UDP datagram crosses the pair.
//!
//! ```
//! # if !rustix::process::geteuid().is_root() { return Ok(()); }
//! use std::os::fd::{AsFd, AsRawFd};
//! use futures_util::TryStreamExt;
//! use lxns::{Kind, Namespace};
//! use rtnetlink::{Handle, LinkUnspec, LinkVeth};
//!
//! type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;
//!
//! async fn index_of(h: &Handle, name: &str) -> Res<u32> {
//!     let link = h.link().get().match_name(name.to_owned()).execute().try_next().await?;
//!     Ok(link.ok_or("no such link")?.header.index)
//! }
//!
//! /// Runs `f` with a netlink handle whose socket lives in the calling thread's namespace.
//! fn netlink<F, Fut>(f: F) -> Res<()>
//! where
//!     F: FnOnce(Handle) -> Fut,
//!     Fut: std::future::Future<Output = Res<()>>,
//! {
//!     let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//!     rt.block_on(async {
//!         let (conn, handle, _) = rtnetlink::new_connection()?; // the socket: made here
//!         tokio::spawn(conn);
//!         f(handle).await
//!     })
//! }
//!
//! let a = Namespace::new(Kind::Net)?;
//! let b = Namespace::new(Kind::Net)?;
//! let b_for_a = b.try_clone()?;
//! lxns::try_run(&[&a], move || netlink(|h| async move {
//!     h.link().add(LinkVeth::new("va", "vb").build()).execute().await?;
//!     let (va, vb) = (index_of(&h, "va").await?, index_of(&h, "vb").await?);
//!     let to_b = b_for_a.as_fd().as_raw_fd();
//!     h.link().set(LinkUnspec::new_with_index(vb).setns_by_fd(to_b).build()).execute().await?;
//!     h.address().add(va, "10.77.0.1".parse()?, 24).execute().await?;
//!     h.link().set(LinkUnspec::new_with_index(va).up().build()).execute().await?;
//!     Ok(())
//! }))?;
//! lxns::try_run(&[&b], || netlink(|h| async move {
//!     let vb = index_of(&h, "vb").await?;
//!     h.address().add(vb, "10.77.0.2".parse()?, 24).execute().await?;
//!     h.link().set(LinkUnspec::new_with_index(vb).up().build()).execute().await?;
//!     Ok(())
//! }))?;
//! // The kernel's view: vb is in b only (its /proc/thread-self/net/dev, not a's).
//! let dev = |ns: &Namespace| lxns::try_run(&[ns], || std::fs::read_to_string("/proc/thread-self/net/dev"));
//! assert!(dev(&b)?.contains("vb:") && !dev(&a)?.contains("vb:"));
//! // Sockets made inside, used out here: a datagram from a to b.
//! let rx = lxns::try_run(&[&b], || std::net::UdpSocket::bind("10.77.0.2:0"))?;
//! let to = rx.local_addr()?;
//! let tx = lxns::try_run(&[&a], || std::net::UdpSocket::bind("10.77.0.1:0"))?;
//! tx.send_to(b"over the veth", to)?;
//! let mut buf = [0u8; 32];
//! let (n, from) = rx.recv_from(&mut buf)?;
//! assert_eq!((&buf[..n], from.ip().to_string().as_str()), (&b"over the veth"[..], "10.77.0.1"));
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```
//!
//! # A tokio server whose socket is in another network namespace
//!
//! The listener is bound inside the namespace and handed to tokio, which serves it from its
//! own threads; a client in the same namespace reaches it, the host's loopback does not.
//!
//! ```
//! # if !rustix::process::geteuid().is_root() { return Ok(()); }
//! use lxns::{Kind, Namespace};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let ns = Namespace::new(Kind::Net)?;
//! // `lo` is down in a new namespace: bring it up from inside (ip link set lo up).
//! lxns::Command::new("ip").args(["link", "set", "lo", "up"]).join(&ns).status()?;
//! let std_listener = lxns::try_run(&[&ns], || {
//!     let l = std::net::TcpListener::bind("127.0.0.1:0")?;
//!     l.set_nonblocking(true)?;
//!     Ok::<_, std::io::Error>(l)
//! })?;
//! let addr = std_listener.local_addr()?;
//! let rt = tokio::runtime::Runtime::new()?;
//! let reply = rt.block_on(async move {
//!     let listener = tokio::net::TcpListener::from_std(std_listener)?;
//!     let server = tokio::spawn(async move {
//!         let (mut conn, _) = listener.accept().await?;
//!         conn.write_all(b"hello from inside").await?;
//!         Ok::<_, std::io::Error>(())
//!     });
//!     // A client socket made in the namespace too.
//!     let client = lxns::try_run(&[&ns], move || {
//!         let c = std::net::TcpStream::connect(addr)?;
//!         c.set_nonblocking(true)?;
//!         Ok::<_, std::io::Error>(c)
//!     })?;
//!     let mut client = tokio::net::TcpStream::from_std(client)?;
//!     let mut text = String::new();
//!     client.read_to_string(&mut text).await?;
//!     server.await.map_err(std::io::Error::other)??;
//!     Ok::<_, std::io::Error>(text)
//! })?;
//! assert_eq!(reply, "hello from inside");
//! // From the host's loopback, that port is not there.
//! assert!(std::net::TcpStream::connect(addr).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # A rootless sandbox with `Command`
//!
//! New user, pid, mount, network, UTS and IPC namespaces; uid 0 inside mapped to the caller;
//! a fresh `/proc`; a hostname. No privilege needed (run here as uid 65534 in a child when
//! the test runs as root).
//!
//! ```
//! use lxns::{Command, Kind, KindSet};
//! # use std::os::unix::process::CommandExt;
//! # if rustix::process::geteuid().is_root() && std::env::var_os("LXNS_RECIPE_ROOTLESS").is_none() {
//! #     // Do it as nobody: this doctest's own binary, re-run as uid 65534.
//! #     let me = std::env::current_exe()?;
//! #     let status = std::process::Command::new(me).args(std::env::args_os().skip(1))
//! #         .env("LXNS_RECIPE_ROOTLESS", "1").uid(65534).gid(65534).current_dir("/").status()?;
//! #     assert!(status.success());
//! #     return Ok(());
//! # }
//! let out = Command::new("sh")
//!     .args(["-c", "echo $$; id -u; hostname; cat /proc/self/uid_map"])
//!     .unshare(KindSet::from(Kind::User) | Kind::Pid | Kind::Mnt | Kind::Net | Kind::Uts | Kind::Ipc)
//!     .map_root()
//!     .mount_proc()
//!     .hostname("sandbox")
//!     .output()?;
//! let text = String::from_utf8_lossy(&out.stdout);
//! let lines: Vec<&str> = text.lines().collect();
//! assert_eq!(&lines[..3], ["1", "0", "sandbox"]); // pid 1, root inside, its own hostname
//! assert!(lines[3].split_whitespace().next() == Some("0"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # A CNI plugin: ADD and DEL
//!
//! The runtime gives the plugin `CNI_COMMAND`, `CNI_NETNS` (a path such as
//! `/run/netns/NAME`), `CNI_IFNAME` and the network configuration on stdin; the plugin
//! configures the container's namespace and prints a result. The skeleton below brings `lo`
//! up in `CNI_NETNS` on ADD (from inside, with `ip`, through [`Command::join`](crate::Command::join))
//! and is idempotent on DEL, as the CNI spec asks; real plugins add a veth as in the first
//! recipe. The test drives it with a [`netns::Scratch`](crate::netns::Scratch) namespace.
//!
//! ```
//! # if !rustix::process::geteuid().is_root() { return Ok(()); }
//! use std::collections::HashMap;
//! use lxns::{Kind, Namespace};
//!
//! /// The plugin's body: the environment and stdin in, the result (stdout) out.
//! fn cni_main(env: &HashMap<&str, String>, _config: &str) -> Result<String, Box<dyn std::error::Error>> {
//!     match env.get("CNI_COMMAND").map(String::as_str) {
//!         Some("ADD") => {
//!             let netns = lxns::cni::get_netns(&env["CNI_NETNS"])?; // NotFound / NotNamespace
//!             let status = lxns::Command::new("ip").args(["link", "set", "lo", "up"])
//!                 .join(&netns).status()?;
//!             if !status.success() {
//!                 return Err("ip link set lo up failed".into());
//!             }
//!             Ok(format!(
//!                 r#"{{"cniVersion":"1.0.0","interfaces":[{{"name":"lo","sandbox":"{}"}}]}}"#,
//!                 env["CNI_NETNS"]
//!             ))
//!         }
//!         // DEL must succeed even when the namespace is already gone.
//!         Some("DEL") => match lxns::cni::is_netns(&env["CNI_NETNS"]) {
//!             Ok(()) => Ok(String::new()),
//!             Err(e) if matches!(e.reason(), lxns::Reason::NotFound) => Ok(String::new()),
//!             Err(e) => Err(e.into()),
//!         },
//!         Some("VERSION") => Ok(r#"{"cniVersion":"1.0.0","supportedVersions":["1.0.0"]}"#.into()),
//!         other => Err(format!("unknown CNI_COMMAND {other:?}").into()),
//!     }
//! }
//!
//! # let tmp = std::env::temp_dir().join(format!("lxns-recipe-cni-{}", std::process::id()));
//! # std::fs::create_dir_all(&tmp)?;
//! # let reg = lxns::netns::Registry::at(&tmp);
//! let container = lxns::netns::Scratch::new(&reg, "cni")?;
//! let mut env = HashMap::from([
//!     ("CNI_COMMAND", "ADD".to_owned()),
//!     ("CNI_NETNS", container.path().display().to_string()),
//!     ("CNI_IFNAME", "eth0".to_owned()),
//! ]);
//! let result = cni_main(&env, r#"{"cniVersion":"1.0.0","name":"demo","type":"lo-up"}"#)?;
//! assert!(result.contains(r#""name":"lo""#));
//! // The kernel's view from inside: lo has its ::1 address once it is up.
//! let up = lxns::try_run(&[container.namespace()], || {
//!     std::fs::read_to_string("/proc/thread-self/net/if_inet6").map(|t| t.contains(" lo"))
//! })?;
//! assert!(up, "lo is up in the container's namespace");
//! env.insert("CNI_COMMAND", "DEL".to_owned());
//! cni_main(&env, "{}")?;
//! let path = container.path().to_owned();
//! drop(container);
//! cni_main(&env, "{}")?; // DEL again, the namespace gone: still fine
//! assert!(!path.exists());
//! # reg.unmount_dir()?;
//! # std::fs::remove_dir(&tmp)?;
//! # let _ = Namespace::current(Kind::Net)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
