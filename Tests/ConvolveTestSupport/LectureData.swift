/// The lecture's RGB example, typed in once from the slides for every test target.
public enum LectureRGB {
  /// The top-left 5x5 of each channel (the slide pads them with one ring of zeros).
  public static let red: [[Float]] = [
    [156, 155, 156, 158, 158], [153, 154, 157, 159, 159], [149, 151, 155, 158, 159],
    [146, 146, 149, 153, 158], [145, 143, 143, 148, 158],
  ]
  public static let green: [[Float]] = [
    [167, 166, 167, 169, 169], [164, 165, 168, 170, 170], [160, 162, 166, 169, 170],
    [156, 156, 159, 163, 168], [155, 153, 153, 158, 168],
  ]
  public static let blue: [[Float]] = [
    [163, 162, 163, 165, 165], [160, 161, 164, 166, 166], [156, 158, 162, 165, 166],
    [155, 155, 158, 162, 167], [154, 152, 152, 157, 167],
  ]
  /// The three 3x3 kernels, one per channel (the layer's bias is 1).
  public static let kernels: [[[Float]]] = [
    [[-1, -1, 1], [0, 1, -1], [0, 1, 1]], [[1, 0, 0], [1, -1, -1], [1, 0, -1]], [[0, 1, 1], [0, 1, 0], [1, -1, 1]],
  ]
  /// A channel as the slide shows it: a zero row above and a zero column on the left.
  public static func slideCorner(_ channel: [[Float]]) -> [[Float]] {
    [[Float](repeating: 0, count: channel[0].count + 1)] + channel.map { [0] + $0 }
  }
}
