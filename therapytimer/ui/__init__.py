"""The Qt layer: the only part of TherapyTimer that imports PySide6. It displays and forwards."""
