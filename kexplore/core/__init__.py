"""The core: scanning, decoding, conventions and checks. Never imports Textual.

Kept empty of imports so `import kexplore.core.model` stays cheap.
"""
