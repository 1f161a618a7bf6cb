//! An in-memory serial link between a host [`Transport`] and a device model, in virtual time.
//!
//! Each direction is paced at its sender's baud rate (10 bits per byte, 8N1) plus a fixed
//! latency (the USB bridge). The device side has a receive ring of fixed capacity (the DMA
//! buffer): bytes that arrive while it is full are lost and counted as overruns. While the
//! device is busy (a flash erase or program stalls it), it takes nothing out of the ring.
//! Faults: corrupted and dropped bytes at a fixed-seed rate, a cable pull, a power cut.

use std::collections::VecDeque;
use std::time::Duration;

use slingshot_flash_sim::{SplitMix64, TornOperation};
use slingshot_protocol::device::{Device, DeviceConfig};
use slingshot_protocol::host::{Transport, TransportError};
use slingshot_service::simulated::{LayoutSource, SimulatedChip};
use slingshot_service::UpdateService;
use slingshot_testkit::line::{LineNoise, Transit};

use super::{busy_nanoseconds, Flash, Service};

/// What the simulator needs from a device: bytes in, replies and busy time out.
pub trait DeviceModel {
    /// Handles one byte; appends reply bytes; returns the flash busy time in nanoseconds.
    fn receive(&mut self, byte: u8, reply: &mut Vec<u8>) -> u64;
    /// Idle-time work; returns the busy time in nanoseconds (0 if there was nothing to do).
    fn poll(&mut self, now_nanoseconds: u64) -> u64;
    /// The device UART's current baud rate.
    fn baud(&self) -> u32;
    /// Power cut; `torn` when it hit a running flash operation (the last one).
    fn power_cycle(&mut self, torn: bool);
}

/// The protocol's device state machine over the bootloader's real update service.
pub struct ProtocolDevice<L: LayoutSource> {
    pub device: Option<Device<Service<L>>>,
    pub config: DeviceConfig,
    pub power_cycles: u32,
    pub torn_operations: u32,
    pub torn_erases: u32,
}

impl<L: LayoutSource> ProtocolDevice<L> {
    /// The device over `flash`, in its bootloader at 115200 baud.
    pub fn new(mut flash: Flash, config: DeviceConfig) -> Self {
        flash.keep_last_operation(true);
        Self {
            device: Some(Device::new(super::service::<L>(flash), config, 115_200)),
            config,
            power_cycles: 0,
            torn_operations: 0,
            torn_erases: 0,
        }
    }

    pub fn device(&self) -> &Device<Service<L>> {
        self.device.as_ref().expect("device present")
    }

    pub fn service(&self) -> &Service<L> {
        self.device().handler()
    }

    fn device_mut(&mut self) -> &mut Device<Service<L>> {
        self.device.as_mut().expect("device present")
    }
}

impl<L: LayoutSource> DeviceModel for ProtocolDevice<L> {
    fn receive(&mut self, byte: u8, reply: &mut Vec<u8>) -> u64 {
        let device = self.device_mut();
        let before = busy_nanoseconds(device.handler().flash());
        if let Some(bytes) = device.receive(byte) {
            reply.extend_from_slice(bytes);
        }
        busy_nanoseconds(device.handler().flash()) - before
    }

    fn poll(&mut self, now_nanoseconds: u64) -> u64 {
        let device = self.device_mut();
        let before = busy_nanoseconds(device.handler().flash());
        device.poll((now_nanoseconds / 1_000_000) as u32);
        busy_nanoseconds(device.handler().flash()) - before
    }

    fn baud(&self) -> u32 {
        self.service().platform().baud
    }

    fn power_cycle(&mut self, torn: bool) {
        let device = self.device.take().expect("device present");
        let (mut flash, verifier, _) = device.into_handler().into_parts();
        if torn {
            self.torn_operations += 1;
            if flash.tear_last_operation() == Some(TornOperation::Erase) {
                self.torn_erases += 1;
            }
        }
        // RAM state lost: a fresh service (it surveys the slots again) at the reset baud rate.
        flash.keep_last_operation(true);
        let service = UpdateService::new(
            flash,
            verifier,
            SimulatedChip::default(),
            super::engine::<L>(),
            true,
        );
        self.power_cycles += 1;
        self.device = Some(Device::new(service, self.config, 115_200));
    }
}

/// Link parameters.
#[derive(Clone, Copy, Debug)]
pub struct LinkConfig {
    pub baud: u32,
    pub latency_nanoseconds: u64,
    /// Byte corruption and loss in each direction (the line model the twin's tests use too).
    pub noise: LineNoise,
    pub ring_capacity: usize,
    pub cpu_nanoseconds_per_byte: u64,
    pub seed: u64,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            baud: 115_200,
            latency_nanoseconds: 1_000_000,
            noise: LineNoise::CLEAN,
            ring_capacity: slingshot_protocol::device::receive_buffer_size(
                slingshot_protocol::device::DEFAULT_WINDOW,
            ),
            cpu_nanoseconds_per_byte: 2_000,
            seed: 1,
        }
    }
}

/// A power cut placed inside a flash operation.
#[derive(Clone, Copy, Debug)]
pub struct FlashCut {
    pub after: u64,
    pub minimum: u64,
    pub per_mille: u64,
}

/// Counters the tests assert on.
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkStatistics {
    pub overruns: u64,
    pub corrupted: u64,
    pub dropped: u64,
    pub inserted: u64,
    pub bytes_to_device: u64,
    pub bytes_to_host: u64,
}

/// The simulated link; the host side is its [`Transport`] implementation.
pub struct Link<M: DeviceModel> {
    pub model: M,
    pub config: LinkConfig,
    pub now: u64,
    pub statistics: LinkStatistics,
    pub cable_pull_at: Option<u64>,
    pub power_cut_at: Option<u64>,
    pub power_off_nanoseconds: u64,
    /// A rate the host's port claims to accept but runs wrongly (its bytes arrive garbled).
    pub refuse_baud: Option<u32>,
    /// Cuts power inside the first flash operation that starts after `time` and lasts at
    /// least `minimum` nanoseconds (100 ms picks erases), `per_mille` into it.
    pub power_cut_in_flash_operation: Option<FlashCut>,
    /// Drops this many bytes the device sends at this baud rate (a one-way outage).
    pub drop_to_host_at_baud: Option<(u32, u32)>,
    host_baud: u32,
    disconnected: bool,
    to_device: VecDeque<(u64, u8, u32)>,
    to_host: VecDeque<(u64, u8, u32)>,
    host_line_free: u64,
    device_line_free: u64,
    ring: VecDeque<u8>,
    host_received: VecDeque<u8>,
    busy_until: u64,
    busy_with_flash: bool,
    device_off_until: u64,
    poll_wanted: bool,
    next_poll_tick: u64,
    random: SplitMix64,
    reply: Vec<u8>,
}

const POLL_TICK_NANOSECONDS: u64 = 5_000_000;

fn byte_nanoseconds(baud: u32) -> u64 {
    10 * 1_000_000_000 / u64::from(baud.max(1))
}

impl<M: DeviceModel> Link<M> {
    pub fn new(model: M, config: LinkConfig) -> Self {
        Self {
            model,
            config,
            now: 0,
            statistics: LinkStatistics::default(),
            cable_pull_at: None,
            power_cut_at: None,
            power_off_nanoseconds: 100_000_000,
            refuse_baud: None,
            drop_to_host_at_baud: None,
            power_cut_in_flash_operation: None,
            host_baud: config.baud,
            disconnected: false,
            to_device: VecDeque::new(),
            to_host: VecDeque::new(),
            host_line_free: 0,
            device_line_free: 0,
            ring: VecDeque::new(),
            host_received: VecDeque::new(),
            busy_until: 0,
            busy_with_flash: false,
            device_off_until: 0,
            poll_wanted: true,
            next_poll_tick: 0,
            random: SplitMix64::new(config.seed),
            reply: Vec::new(),
        }
    }

    /// Plugs the cable back in: the host can talk again (bytes in flight were lost).
    pub fn reconnect(&mut self) {
        self.disconnected = false;
        self.cable_pull_at = None;
        self.to_device.clear();
        self.to_host.clear();
        self.host_received.clear();
        self.host_line_free = self.now;
    }

    /// Applies a fault to a byte in transit: what arrives (nothing if it is dropped, two
    /// bytes if the line inserts one).
    fn transit(&mut self, byte: u8, sender_baud: u32, receiver_baud: u32) -> Transit {
        if sender_baud != receiver_baud {
            self.statistics.corrupted += 1;
            return Transit::Corrupted(self.random.next_u64() as u8);
        }
        let transit = self.config.noise.transit(byte, &mut self.random);
        match transit {
            Transit::Delivered(_) => {}
            Transit::Corrupted(_) => self.statistics.corrupted += 1,
            Transit::Dropped => self.statistics.dropped += 1,
            Transit::Inserted { .. } => self.statistics.inserted += 1,
        }
        transit
    }

    fn check_events(&mut self) {
        if self.cable_pull_at.is_some_and(|at| self.now >= at) && !self.disconnected {
            self.disconnected = true;
            self.to_device.clear();
            self.to_host.clear();
        }
        if let Some(at) = self.power_cut_at.filter(|&at| self.now >= at) {
            self.power_cut_at = None;
            let torn = self.busy_with_flash && self.busy_until > at;
            self.model.power_cycle(torn);
            self.ring.clear();
            self.busy_until = self.now;
            self.busy_with_flash = false;
            self.device_off_until = self.now + self.power_off_nanoseconds;
        }
    }

    /// Runs the simulation up to `deadline`, or until the host has bytes to read if `stop_on_data`.
    fn run(&mut self, deadline: u64, stop_on_data: bool) {
        loop {
            self.check_events();
            let device_on = self.now >= self.device_off_until;
            while self
                .to_device
                .front()
                .is_some_and(|&(arrival, _, _)| arrival <= self.now)
            {
                let (_, byte, baud) = self.to_device.pop_front().expect("front exists");
                let receiver_baud = self.model.baud();
                let mut arrived = Vec::with_capacity(2);
                self.transit(byte, baud, receiver_baud)
                    .deliver_into(&mut arrived);
                // A board without power receives nothing.
                for byte in arrived.into_iter().filter(|_| device_on) {
                    if self.ring.len() < self.config.ring_capacity {
                        self.statistics.bytes_to_device += 1;
                        self.ring.push_back(byte);
                    } else {
                        self.statistics.overruns += 1;
                    }
                }
            }
            while self
                .to_host
                .front()
                .is_some_and(|&(arrival, _, _)| arrival <= self.now)
            {
                let (_, byte, baud) = self.to_host.pop_front().expect("front exists");
                if let Some((drop_baud, remaining)) = self.drop_to_host_at_baud.as_mut() {
                    if *drop_baud == baud && *remaining > 0 {
                        *remaining -= 1;
                        continue;
                    }
                }
                let mut arrived = Vec::with_capacity(2);
                self.transit(byte, baud, self.host_baud)
                    .deliver_into(&mut arrived);
                self.statistics.bytes_to_host += arrived.len() as u64;
                self.host_received.extend(arrived);
            }
            if stop_on_data && !self.host_received.is_empty() {
                return;
            }
            if device_on && self.now >= self.busy_until {
                if let Some(byte) = self.ring.pop_front() {
                    self.reply.clear();
                    let mut reply = std::mem::take(&mut self.reply);
                    let flash = self.model.receive(byte, &mut reply);
                    self.start_busy(flash);
                    self.send_from_device(&reply);
                    self.reply = reply;
                    self.poll_wanted = true;
                    continue;
                }
                if self.poll_wanted && self.device_line_free <= self.now {
                    let flash = self.model.poll(self.now);
                    self.start_busy(flash);
                    self.poll_wanted = flash > 0;
                    if flash > 0 {
                        continue;
                    }
                }
                if self.now >= self.next_poll_tick {
                    self.next_poll_tick = self.now + POLL_TICK_NANOSECONDS;
                    self.poll_wanted = true;
                    continue;
                }
            }
            if self.now >= deadline {
                return;
            }
            let mut next = deadline;
            let mut consider = |time: u64| {
                if time > self.now && time < next {
                    next = time;
                }
            };
            if let Some(&(arrival, _, _)) = self.to_device.front() {
                consider(arrival);
            }
            if let Some(&(arrival, _, _)) = self.to_host.front() {
                consider(arrival);
            }
            consider(self.busy_until);
            consider(self.device_line_free);
            consider(self.next_poll_tick);
            consider(self.device_off_until);
            if let Some(at) = self.cable_pull_at {
                consider(at);
            }
            if let Some(at) = self.power_cut_at {
                consider(at);
            }
            self.now = next.max(self.now);
        }
    }

    fn start_busy(&mut self, flash_nanoseconds: u64) {
        if let Some(cut) = self.power_cut_in_flash_operation {
            if flash_nanoseconds > cut.minimum && self.now >= cut.after {
                self.power_cut_in_flash_operation = None;
                self.power_cut_at =
                    Some(self.now + (flash_nanoseconds * cut.per_mille / 1000).max(1));
            }
        }
        self.busy_until = self.now + flash_nanoseconds + self.config.cpu_nanoseconds_per_byte;
        self.busy_with_flash = flash_nanoseconds > 0;
    }

    fn send_from_device(&mut self, bytes: &[u8]) {
        let baud = self.model.baud();
        for &byte in bytes {
            let start = self.device_line_free.max(self.busy_until);
            self.device_line_free = start + byte_nanoseconds(baud);
            self.to_host.push_back((
                self.device_line_free + self.config.latency_nanoseconds,
                byte,
                baud,
            ));
        }
    }
}

impl<M: DeviceModel> Transport for Link<M> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.check_events();
        if self.disconnected {
            return Err(TransportError::Disconnected);
        }
        for &byte in bytes {
            let start = self.host_line_free.max(self.now);
            self.host_line_free = start + byte_nanoseconds(self.host_baud);
            self.to_device.push_back((
                self.host_line_free + self.config.latency_nanoseconds,
                byte,
                self.host_baud,
            ));
        }
        Ok(())
    }

    fn read(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let deadline = self.now + timeout.as_nanos() as u64;
        self.run(deadline, true);
        if self.disconnected {
            return Err(TransportError::Disconnected);
        }
        let count = buffer.len().min(self.host_received.len());
        for (slot, byte) in buffer.iter_mut().zip(self.host_received.drain(..count)) {
            *slot = byte;
        }
        Ok(count)
    }

    fn flush(&mut self) -> Result<(), TransportError> {
        let until = self.host_line_free.max(self.now);
        self.run(until, false);
        if self.disconnected {
            return Err(TransportError::Disconnected);
        }
        Ok(())
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), TransportError> {
        self.host_baud = if self.refuse_baud == Some(baud) {
            baud + 7
        } else {
            baud
        };
        Ok(())
    }

    fn baud(&self) -> u32 {
        self.host_baud
    }

    fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.now)
    }
}
