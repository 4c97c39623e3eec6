"""The Textual face of kexplore. Imported only when the explorer starts."""
