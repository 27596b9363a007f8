"""``python -m pairing_provider.native``: the native provider's process."""

from pairing_provider.native.server import main

if __name__ == "__main__":
    main()
