"""Training: the step (`trainer`), what each GAN kind changes in it (`kinds`), CycleGAN (`cycle`),
what every trainer holds (`base`), the loop (`loop`) and its guards (`guard`), run directories
(`rundir`, `lock`, `checkpoint`), samples (`sampling`) and a conditional generator's codes
(`codes`). docs/training.md has the map."""
