//! Progress and drafts are written on a thread of their own, not the UI's:
//! each save replaces the file and flushes it to disk (fsync), which can take
//! long on a slow or busy disk, and a key must never wait for that. Saves
//! that pile up while one is written are merged (the newest wins); leaving a
//! lesson waits for the last one, so nothing typed is lost.

use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use crate::app::SavedState;

enum Job {
    Save(SavedState),
    /// Write this, then say so.
    Flush(SavedState, Sender<()>),
}

pub struct Saver {
    jobs: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Saver {
    /// A saver writing each state with `write` (which reports its own errors).
    pub fn spawn(write: impl Fn(&SavedState) + Send + 'static) -> Saver {
        let (jobs, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("kubetutor-saver".into())
            .spawn(move || work(&receiver, &write))
            .ok();
        Saver {
            jobs: thread.is_some().then_some(jobs),
            thread,
        }
    }

    /// Saves `state` soon, without waiting for the disk.
    pub fn save(&self, state: SavedState) {
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(Job::Save(state));
        }
    }

    /// Saves `state` and waits until it is written (leaving a lesson).
    pub fn flush(&self, state: SavedState) {
        let (done, written) = mpsc::channel();
        if let Some(jobs) = &self.jobs
            && jobs.send(Job::Flush(state, done)).is_ok()
        {
            let _ = written.recv();
        }
    }
}

impl Drop for Saver {
    fn drop(&mut self) {
        // What was sent is written before the thread ends.
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn work(jobs: &Receiver<Job>, write: &dyn Fn(&SavedState)) {
    while let Ok(mut job) = jobs.recv() {
        // A save followed by newer work is skipped (the newer state holds
        // all it held); a flush is always written, and answered.
        while let Ok(newer) = jobs.try_recv() {
            if let Job::Flush(..) = job {
                run(job, write);
            }
            job = newer;
        }
        run(job, write);
    }
}

fn run(job: Job, write: &dyn Fn(&SavedState)) {
    match job {
        Job::Save(state) => write(&state),
        Job::Flush(state, done) => {
            write(&state);
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    fn state(current: usize) -> SavedState {
        SavedState {
            current,
            ..SavedState::default()
        }
    }

    /// A disk that takes 300 ms per save: saving does not wait for it, the
    /// saves waiting are merged, and a flush waits for the newest.
    #[test]
    fn a_slow_disk_never_holds_up_the_caller_and_the_newest_state_lands() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let noted = written.clone();
        let saver = Saver::spawn(move |s: &SavedState| {
            std::thread::sleep(Duration::from_millis(300));
            noted.lock().unwrap().push(s.current);
        });
        let start = Instant::now();
        for current in 1..=5 {
            saver.save(state(current));
        }
        assert!(
            start.elapsed() < Duration::from_millis(100),
            "saving waited for the disk: {:?}",
            start.elapsed()
        );
        saver.flush(state(6));
        let written = written.lock().unwrap().clone();
        assert_eq!(written.last(), Some(&6), "{written:?}");
        assert!(written.len() < 6, "waiting saves are merged: {written:?}");
        assert!(
            written.windows(2).all(|w| w[0] < w[1]),
            "never an older state after a newer one: {written:?}"
        );
    }
}
