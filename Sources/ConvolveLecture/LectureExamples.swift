import ConvolveCore

/// The lecture's zero-padded 6x6 corner of a photo, one matrix per colour channel (padding removed).
public let lectureRGB = Tensor(planes: [
  [[156, 155, 156, 158, 158], [153, 154, 157, 159, 159], [149, 151, 155, 158, 159], [146, 146, 149, 153, 158], [145, 143, 143, 148, 158]],
  [[167, 166, 167, 169, 169], [164, 165, 168, 170, 170], [160, 162, 166, 169, 170], [156, 156, 159, 163, 168], [155, 153, 153, 158, 168]],
  [[163, 162, 163, 165, 165], [160, 161, 164, 166, 166], [156, 158, 162, 165, 166], [155, 155, 158, 162, 167], [154, 152, 152, 157, 167]],
])

/// The lecture's three 3x3 kernels for the RGB example, one per channel (bias 1).
public let lectureRGBKernels = [
  Kernel(height: 3, width: 3, weights: [-1, -1, 1, 0, 1, -1, 0, 1, 1]),
  Kernel(height: 3, width: 3, weights: [1, 0, 0, 1, -1, -1, 1, 0, -1]),
  Kernel(height: 3, width: 3, weights: [0, 1, 1, 0, 1, 0, 1, -1, 1]),
]
