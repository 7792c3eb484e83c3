//! Where the networks run: [`DeviceChoice`] and a one-line description of a device.
use crate::error::{KdError, Result};
use serde::{Deserialize, Serialize};
#[cfg(feature = "torch")]
use tch::Device;


/// Where to run: `Auto` takes CUDA when libtorch sees a GPU, else CPU.
///
/// # Examples
///
/// ```
/// use kdistill::neural::DeviceChoice;
/// let d: DeviceChoice = "CPU".parse()?;
/// assert_eq!(d, DeviceChoice::Cpu);
/// assert_eq!("gpu".parse::<DeviceChoice>()?, DeviceChoice::Cuda);
/// assert!("tpu".parse::<DeviceChoice>().is_err());
/// assert_eq!(DeviceChoice::default(), DeviceChoice::Auto);
/// # Ok::<(), kdistill::KdError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DeviceChoice {
    /// CUDA if available, else CPU.
    #[default]
    Auto,
    /// Always CPU.
    Cpu,
    /// CUDA device 0; an error if none is visible.
    Cuda,
}

impl std::str::FromStr for DeviceChoice {
    type Err = KdError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" | "gpu" => Ok(Self::Cuda),
            other => Err(KdError::param("device", other, "expected auto, cpu or cuda")),
        }
    }
}

impl DeviceChoice {
    /// The tch device this choice means on this machine.
    ///
    /// # Examples
    ///
    /// ```
    /// use kdistill::neural::DeviceChoice;
    /// assert_eq!(DeviceChoice::Cpu.resolve()?, tch::Device::Cpu);
    /// // Auto never fails; Cuda fails with a clear message when no GPU is visible.
    /// let auto = DeviceChoice::Auto.resolve()?;
    /// assert_eq!(auto.is_cuda(), DeviceChoice::Cuda.resolve().is_ok());
    /// # Ok::<(), kdistill::KdError>(())
    /// ```
    #[cfg(feature = "torch")]
    pub fn resolve(self) -> Result<Device> {
        match self {
            Self::Cpu => Ok(Device::Cpu),
            Self::Auto => Ok(Device::cuda_if_available()),
            Self::Cuda if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
            Self::Cuda => Err(KdError::param(
                "device",
                "cuda",
                "libtorch sees no CUDA device (no GPU, no driver, or a CPU-only libtorch)",
            )),
        }
    }
}

/// A one-line description of a device, e.g. `cpu (2 threads)` or `cuda:0 (1 GPU visible)`.
///
/// # Examples
///
/// ```
/// let s = kdistill::neural::describe_device(tch::Device::Cpu);
/// assert!(s.starts_with("cpu (") && s.contains("thread"));
/// ```
#[cfg(feature = "torch")]
pub fn describe_device(d: Device) -> String {
    match d {
        Device::Cuda(i) => format!("cuda:{i} ({} GPU visible)", tch::Cuda::device_count()),
        _ => match tch::get_num_threads() {
            1 => "cpu (1 thread)".to_string(),
            n => format!("cpu ({n} threads)"),
        },
    }
}
