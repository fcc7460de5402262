"""Dataset exports (COCO, YOLO, Pascal VOC), the COCO import, and DVC versions of exports.

Exporters stream: images and boxes are read as tuples through server-side cursors in
image order and written incrementally, so memory stays flat however large the project.
`service.dataset_export` is the entry point shared by the command and tests.
"""
