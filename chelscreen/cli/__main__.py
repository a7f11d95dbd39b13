from chelscreen.cli import main

main()
