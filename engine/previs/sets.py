"""A dressed set (scene.World, built by dressing.py) as one static Panda3D node, and the sky dome.

The set's light is baked into its colours when the set is dressed (sun by time of day, practicals
pooled into the ground texture), so the set renders unlit: one merged mesh (flattenStrong) of every
box, quad layer and decal, plus the ground texture on its plane and a plain ground ring around it.
Figures and props are lit by real Panda lights (render.py). Only called on the Panda thread.
"""
from __future__ import annotations

import numpy as np

from . import geom
from .scene import World

GROUND_REACH = 1500.0
SKY_RADIUS = 1400.0


def lit_box_colours(world: World) -> np.ndarray:
    """Per box face (M*6, 3) BGR: Lambert under the set's light, as the set was designed."""
    light = world.light
    if not len(world.box_centres):
        return np.zeros((0, 3))
    _, normals = geom.box_quads(world.box_centres, world.box_axes, world.box_half)
    colours = np.repeat(world.box_colours, 6, axis=0)
    lam = np.clip(normals @ light.sun, 0, 1)
    return np.clip(colours * light.tint * (light.ambient + light.diffuse * lam)[:, None], 0, 255)


def _ground_level(quads: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """Quads lying on the ground plane facing up (floor, water, ripples, road marks)."""
    return (np.abs(quads[:, :, 1]).max(axis=1) < 0.02) & (normals[:, 1] > 0.99)


def set_node(world: World, parent):
    """Attach the set under `parent` and return its NodePath (unlit).

    Layers on the ground plane were designed to be painted in order (ripples over the water plane,
    marks over the floor): they are drawn first, in that order, without depth writes, so coplanar
    pieces never z-fight; everything standing on them is depth-tested as usual and merged into one
    mesh (flattenStrong)."""
    root = parent.attachNewNode("set")
    solid = root.attachNewNode("solid")
    flat = root.attachNewNode("ground")
    order = [0]

    def ground_piece(node, texture=None):
        np_ = flat.attachNewNode(node)
        if texture is not None:
            np_.setTexture(texture)
        order[0] += 1
        np_.setBin("background", 10 + order[0])
        np_.setDepthWrite(False)
        np_.setDepthTest(False)
        return np_

    gt = world.ground_texture
    ground = world.ground_colour[::-1]
    r = GROUND_REACH
    if gt is not None:
        h, w = gt.image.shape[:2]
        x0, z0 = gt.x0, gt.z0
        x1, z1 = x0 + w / gt.ppm, z0 + h / gt.ppm
        node, tex = geom.textured_quad("ground", [[x0, 0, z0], [x1, 0, z0], [x1, 0, z1], [x0, 0, z1]], gt.image)
        ground_piece(node, tex)
        border = gt.border[::-1]
        ring = [[[-r, 0, -r], [r, 0, -r], [r, 0, z0], [-r, 0, z0]], [[-r, 0, z1], [r, 0, z1], [r, 0, r], [-r, 0, r]],
                [[-r, 0, z0], [x0, 0, z0], [x0, 0, z1], [-r, 0, z1]], [[x1, 0, z0], [r, 0, z0], [r, 0, z1], [x1, 0, z1]]]
        ground_piece(geom.quads_mesh("ground-ring", ring, [border] * 4, [[0, 1, 0]] * 4))
    else:
        ground_piece(geom.quads_mesh("ground-plain", [[[-r, 0, -r], [r, 0, -r], [r, 0, r], [-r, 0, r]]],
                                     [ground], [[0, 1, 0]]))
    quads, colours, normals = [], [], []

    def add(q, c, n):
        q, c, n = np.asarray(q, float), np.asarray(c, float), np.asarray(n, float)
        on_ground = _ground_level(q, n)
        if on_ground.any():
            ground_piece(geom.quads_mesh("ground-layer", q[on_ground], c[on_ground][:, ::-1], n[on_ground]))
        keep = ~on_ground
        if keep.any():
            quads.append(q[keep])
            colours.append(c[keep])
            normals.append(n[keep])

    for layer in world.layers:
        add(layer.quads, layer.colours, layer.normals)
    if len(world.box_centres):
        q, n = geom.box_quads(world.box_centres, world.box_axes, world.box_half)
        quads.append(q)
        normals.append(n)
        colours.append(lit_box_colours(world))
    if world.decals is not None and len(world.decals):
        quads.append(world.decals)
        normals.append(world.decal_normals)
        colours.append(world.decal_colours)
    if quads:
        c = np.concatenate(colours)[:, ::-1]  # BGR -> RGB
        solid.attachNewNode(geom.quads_mesh("set-pieces", np.concatenate(quads), c, np.concatenate(normals)))
    root.setLightOff(1)
    solid.setBin("unsorted", 0)  # deterministic draw order (see render._Scene)
    solid.flattenStrong()
    return root


def sky_node(world: World, parent):
    """A dome of the sky gradient by elevation (horizon to zenith, haze then ground below); it
    follows the camera, drawn first and behind everything."""
    light = world.light
    top = (light.sky_top * light.tint ** 0.3)[::-1]
    hor = light.sky_horizon[::-1]
    ground = world.ground_colour[::-1]
    haze = hor * 0.55 + ground * 0.45

    def colours(z: np.ndarray) -> np.ndarray:
        up = np.clip(z, 0, 1)[:, None] ** 0.55
        sky = hor * (1 - up) + top * up
        down = np.clip(-z * 12, 0, 1)[:, None]
        below = haze * (1 - down) + ground * down
        return np.where((z >= 0)[:, None], sky, below)

    # A dome to 12 degrees below the horizon: the ground covers the rest, so the lower half of a full
    # sphere would only be filled and overdrawn (it cost ~1.8 ms a 720p frame on the software path).
    import math
    node = geom.sphere("sky", (0, 0, 0), rings=14, segments=24, vertex_colours=colours,
                       down_to=math.radians(102))
    np_ = parent.attachNewNode(node)
    np_.setScale(SKY_RADIUS)
    np_.setTwoSided(True)
    np_.setLightOff(1)
    np_.setBin("background", 0)
    np_.setDepthWrite(False)
    np_.setDepthTest(False)
    return np_
