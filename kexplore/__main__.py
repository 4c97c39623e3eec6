from kexplore.cli import main

raise SystemExit(main())
