//! The host's resumable image transfer: start, resume-point search by checksums, then the stream.

use super::error::HostError;
use super::session::{unexpected, HostSession, TransferReport};
use super::transport::Transport;
use crate::error::ErrorCode;
use crate::frame::CRC32;
use crate::message::{frame_type, Reply, Request, UpdateAccepted};

impl<T: Transport> HostSession<T> {
    /// Sends a whole image: start, resume point, windowed transfer, verify, install. Starts over
    /// (resuming from what the device holds) when the device lost its session, e.g. after a reset.
    pub fn update(
        &mut self,
        image: &[u8],
        descriptor: &[u8],
        mut progress: impl FnMut(u64, u64),
    ) -> Result<TransferReport, HostError> {
        let mut report = self.transfer_resuming(image, descriptor, &mut progress, &mut || {})?;
        self.verify()?;
        self.install()?;
        report.command_retries = self.command_retries();
        Ok(report)
    }

    /// [`Self::transfer`], started over (with resumption from what the device's flash holds)
    /// when the device answers `WrongState` because it lost its session — it was reset
    /// mid-transfer — up to the restart budget; `restarting` is told each time. The one restart
    /// loop: [`Self::update`] and the `slingshot flash` tool both run it.
    pub fn transfer_resuming(
        &mut self,
        image: &[u8],
        descriptor: &[u8],
        progress: &mut dyn FnMut(u64, u64),
        restarting: &mut dyn FnMut(),
    ) -> Result<TransferReport, HostError> {
        let mut restarts = 0;
        loop {
            match self.transfer(image, descriptor, progress) {
                Ok(mut report) => {
                    report.restarts = restarts;
                    return Ok(report);
                }
                Err(HostError::Rejected {
                    code: ErrorCode::WrongState,
                    ..
                }) if restarts < self.config.restart_budget => {
                    restarts += 1;
                    restarting();
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Start request, resume-point search and windowed transfer of `image` (no verify).
    pub fn transfer(
        &mut self,
        image: &[u8],
        descriptor: &[u8],
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<TransferReport, HostError> {
        let image_size =
            u32::try_from(image.len()).map_err(|_| HostError::ImageSize { size: image.len() })?;
        let started = self.transport.elapsed();
        let accepted = self.start_update(image_size, descriptor)?;
        let resume_point = self.find_resume_point(image, &accepted)?;
        let ack = match self.request(
            &Request::Resume {
                offset: resume_point,
            },
            self.config.command_timeout,
        )? {
            Reply::Ack(ack) => ack,
            other => return Err(unexpected(frame_type::RESUME, &other)),
        };
        let mut report = TransferReport {
            image_size,
            resumed_from: ack.contiguous,
            ..Default::default()
        };
        progress(u64::from(ack.contiguous), u64::from(image_size));
        self.stream(image, &accepted, ack, &mut report, progress)?;
        report.elapsed = self.transport.elapsed() - started;
        Ok(report)
    }

    /// The longest prefix of `image` the device already holds, found by checksums.
    fn find_resume_point(
        &mut self,
        image: &[u8],
        accepted: &UpdateAccepted,
    ) -> Result<u32, HostError> {
        let candidate = accepted.prefix_end.min(image.len() as u32);
        if candidate == 0 {
            return Ok(0);
        }
        if CRC32.checksum(&image[..candidate as usize]) == accepted.prefix_checksum {
            return Ok(candidate);
        }
        // [0, good) matches; somewhere in [good, bad) a byte differs. Halve by range checksums.
        let granule = u32::from(accepted.max_data).max(1);
        let (mut good, mut bad) = (0u32, candidate);
        while bad - good > granule {
            let half = ((bad - good) / 2 / granule).max(1) * granule;
            let middle = good + half;
            let request = Request::Checksum {
                offset: good,
                length: half,
            };
            let timeout = self.config.timing.checksum_request(half);
            let checksum = match self.request(&request, timeout)? {
                Reply::Checksum { checksum, .. } => checksum,
                other => return Err(unexpected(frame_type::CHECKSUM, &other)),
            };
            if checksum == CRC32.checksum(&image[good as usize..middle as usize]) {
                good = middle;
            } else {
                bad = middle;
            }
        }
        Ok(good)
    }
}
