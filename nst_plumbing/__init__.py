"""Below the lesson: constants, VGG19's description, checks, files, images, weights, device, memory, display."""
