"""Images and data sets: the upload decoder, the procedural shapes set, folders and zips of the user's own
images, data-set specs (cifar10, imagefolder:PATH, zip:FILE, shapes) and the sample photos."""
