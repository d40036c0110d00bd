from wgan.cli import main

raise SystemExit(main())
