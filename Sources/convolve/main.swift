print("convolve")
