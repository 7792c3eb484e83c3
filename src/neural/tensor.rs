//! Copies between ndarray and tch tensors.
use crate::error::{KdError, Result};
use ndarray::{Array2, ArrayView2};
use tch::{Device, Kind, Tensor};

/// Copy a 2-D f32 view into a tensor on `device`.
///
/// # Examples
///
/// ```
/// use kdistill::neural::{to_array2, to_tensor};
/// use ndarray::array;
/// let a = array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// let t = to_tensor(a.t(), tch::Device::Cpu); // any layout; the tensor is 3 × 2
/// assert_eq!(t.size(), [3, 2]);
/// assert_eq!(to_array2(&t)?, a.t());
/// # Ok::<(), kdistill::KdError>(())
/// ```
pub fn to_tensor(x: ArrayView2<f32>, device: Device) -> Tensor {
    let std = x.as_standard_layout();
    Tensor::from_slice(std.as_slice().expect("standard layout"))
        .view([x.nrows() as i64, x.ncols() as i64])
        .to_device(device)
}

/// Copy a 2-D float tensor back into an ndarray (any float kind or device; converted to f32 on the CPU).
///
/// # Examples
///
/// ```
/// use kdistill::neural::to_array2;
/// use tch::{Kind, Tensor};
/// let t = Tensor::arange(6, (Kind::Double, tch::Device::Cpu)).view([2, 3]);
/// assert_eq!(to_array2(&t)?, ndarray::array![[0.0f32, 1.0, 2.0], [3.0, 4.0, 5.0]]);
/// assert!(to_array2(&Tensor::zeros([4], (Kind::Float, tch::Device::Cpu))).is_err()); // 1-D
/// # Ok::<(), kdistill::KdError>(())
/// ```
pub fn to_array2(t: &Tensor) -> Result<Array2<f32>> {
    let size = t.size();
    if size.len() != 2 {
        return Err(KdError::Shape(format!("expected a 2-D tensor, got {size:?}")));
    }
    let v = Vec::<f32>::try_from(t.to_kind(Kind::Float).to_device(Device::Cpu).contiguous().view([-1]))?;
    Array2::from_shape_vec((size[0] as usize, size[1] as usize), v).map_err(|e| KdError::Shape(e.to_string()))
}
