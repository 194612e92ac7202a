//! Limits on what a lesson's request or command may cost: how long it may
//! take and how much output is kept. A lesson is untrusted: a command that
//! prints forever, or never ends, must not freeze the tutor or fill memory.
//! Both streams of a command are read at once (read one after the other, a
//! command that fills the unread pipe — 64 KiB of stderr — waits forever).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

/// How long one request or command of a lesson may take, checks and actions
/// alike. Said on screen when it runs out.
pub const TIME_LIMIT: Duration = Duration::from_secs(20);
/// Output kept of one stream of a command, or of one response body.
pub const OUTPUT_CAP: usize = 256 * 1024;

/// "… cut at 256 KiB".
pub fn cap_said() -> String {
    format!("output cut at {} KiB", OUTPUT_CAP / 1024)
}

/// "gave up after 20 s".
pub fn time_limit_said() -> String {
    format!(
        "gave up after {} s (a lesson's request or command may take at most that)",
        TIME_LIMIT.as_secs()
    )
}

/// What a command printed, each stream up to `cap` bytes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    /// A stream printed more than the cap: the rest was read and dropped.
    pub cut: bool,
}

/// Reads both streams to their end at the same time, keeping `cap` bytes of each.
pub async fn read_both<O, E>(stdout: Option<O>, stderr: Option<E>, cap: usize) -> Output
where
    O: AsyncRead + Unpin,
    E: AsyncRead + Unpin,
{
    let ((stdout, out_cut), (stderr, err_cut)) =
        tokio::join!(read_capped(stdout, cap), read_capped(stderr, cap));
    Output {
        stdout,
        stderr,
        cut: out_cut || err_cut,
    }
}

/// Up to `cap` bytes of `reader`, then the rest drained (so the writer never
/// blocks on a full pipe) and dropped.
async fn read_capped<R: AsyncRead + Unpin>(reader: Option<R>, cap: usize) -> (String, bool) {
    let Some(mut reader) = reader else {
        return (String::new(), false);
    };
    let mut kept = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let mut cut = false;
    loop {
        let n = match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let room = cap.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..n.min(room)]);
        cut |= n > room;
    }
    (String::from_utf8_lossy(&kept).into_owned(), cut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A writer that fills stderr first, as a failing command does: reading
    /// stdout to its end before stderr would wait forever (the pipe holds
    /// 4 KiB here), both at once finishes.
    #[tokio::test]
    async fn stderr_past_the_pipe_does_not_deadlock_and_both_are_kept() {
        let (mut out_w, out_r) = tokio::io::duplex(4096);
        let (mut err_w, err_r) = tokio::io::duplex(4096);
        let writer = async move {
            err_w.write_all(&vec![b'e'; 64 * 1024]).await.unwrap();
            drop(err_w);
            out_w.write_all(b"done").await.unwrap();
        };
        let reading = async { read_both(Some(out_r), Some(err_r), OUTPUT_CAP).await };
        let ((), output) = tokio::time::timeout(Duration::from_secs(5), async {
            tokio::join!(writer, reading)
        })
        .await
        .expect("read_both deadlocked");
        assert_eq!(output.stdout, "done");
        assert_eq!(output.stderr.len(), 64 * 1024);
        assert!(!output.cut);
    }

    #[tokio::test]
    async fn output_past_the_cap_is_cut_said_and_the_writer_still_finishes() {
        let (mut out_w, out_r) = tokio::io::duplex(1024);
        let writer = async move {
            for _ in 0..64 {
                out_w.write_all(&[b'x'; 1024]).await.unwrap();
            }
        };
        let reading = read_both(Some(out_r), None::<tokio::io::DuplexStream>, 10_000);
        let ((), output) = tokio::join!(writer, reading);
        assert_eq!(output.stdout.len(), 10_000);
        assert!(output.cut);
        assert!(cap_said().contains("256 KiB"));
    }
}
