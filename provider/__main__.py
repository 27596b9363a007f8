"""The plugin's entry point as the Python language host runs it: ``python <this directory>
<engine address>``. The provider itself is the installed ``pairing_provider`` package."""

from pairing_provider.native.server import main

main()
