"""GLSL for the actor renderer: backdrop, skin/eyes/mouth/cloth, hair shells and the 2x downsample.

Lighting is a soft three-point rig fixed to the camera (key upper left, fill right, rim behind),
with wrap lighting whose red channel wraps further than green and blue: a cheap stand-in for
subsurface scattering that warms the terminator instead of cutting it grey. Everything costly is
baked (AO, colour variation, brows, strands), so the fragment shader stays a few texture reads.
"""

from __future__ import annotations

# Shared by the scene and hair programs: the per-vertex head pose (skinning by head_weight).
POSE_GLSL = """
uniform vec3 u_pose;  // yaw, pitch, roll in radians
uniform mat4 u_mvp;
mat3 pose_matrix(vec3 a) {
    float cy = cos(a.x), sy = sin(a.x), cp = cos(a.y), sp = sin(a.y), cr = cos(a.z), sr = sin(a.z);
    mat3 ry = mat3(cy, 0.0, -sy,  0.0, 1.0, 0.0,  sy, 0.0, cy);
    mat3 rx = mat3(1.0, 0.0, 0.0,  0.0, cp, sp,  0.0, -sp, cp);
    mat3 rz = mat3(cr, sr, 0.0,  -sr, cr, 0.0,  0.0, 0.0, 1.0);
    return ry * rx * rz;
}
"""

# The renderer's own vertex transform, captured with transform feedback (HeadRenderer.vertex_pixels).
FEEDBACK_VS = (
    "#version 330\n"
    + POSE_GLSL
    + """
in vec3 in_pos;
in float in_weight;
out vec4 out_clip;
void main() { out_clip = u_mvp * vec4(pose_matrix(u_pose * in_weight) * in_pos, 1.0); }
"""
)

SCENE_VS = (
    "#version 330\n"
    + POSE_GLSL
    + """
uniform float u_shell;  // hair shell offset (metres), 0 for the scene pass
in vec3 in_pos;
in vec3 in_normal;
in vec2 in_uv;
in float in_mat;
in float in_weight;
in float in_ao;
in float in_hair;
out vec3 v_world;
out vec3 v_head;
out vec3 v_normal;
out vec2 v_uv;
out float v_ao;
out float v_hair;
flat out int v_mat;
void main() {
    mat3 r = pose_matrix(u_pose * in_weight);
    vec3 p = in_pos + in_normal * (u_shell * in_hair);
    v_head = in_pos;
    v_world = r * p;
    v_normal = r * in_normal;
    v_uv = in_uv;
    v_ao = in_ao;
    v_hair = in_hair;
    v_mat = int(in_mat + 0.5);
    gl_Position = u_mvp * vec4(v_world, 1.0);
}
"""
)

LIGHTS_GLSL = """
uniform vec3 u_cam;
const vec3 KEY_DIR = normalize(vec3(-0.62, 0.5, 0.62));
const vec3 KEY_COL = vec3(1.0, 0.97, 0.92) * 2.3;
const vec3 FILL_DIR = normalize(vec3(0.85, 0.0, 0.55));
const vec3 FILL_COL = vec3(0.72, 0.80, 0.95) * 0.5;
const vec3 RIM_DIR = normalize(vec3(0.65, 0.4, -0.65));
const vec3 RIM_COL = vec3(0.95, 0.95, 1.0) * 1.6;
const vec3 SKY = vec3(0.21, 0.23, 0.27);
const vec3 GROUND = vec3(0.12, 0.10, 0.09);
vec3 wrap_rgb(float ndl, vec3 w) { return clamp((vec3(ndl) + w) / (1.0 + w), 0.0, 1.0); }
vec3 skin_diffuse(vec3 n) {
    // Red light scatters further under the skin: wrap it more than green/blue (red-shifted terminator).
    vec3 w = vec3(0.45, 0.25, 0.2);
    vec3 d = KEY_COL * wrap_rgb(dot(n, KEY_DIR), w)
           + FILL_COL * wrap_rgb(dot(n, FILL_DIR), w)
           + RIM_COL * 0.35 * wrap_rgb(dot(n, RIM_DIR), w * 0.5);
    return d;
}
vec3 plain_diffuse(vec3 n) {
    return KEY_COL * max(dot(n, KEY_DIR), 0.0) + FILL_COL * max(dot(n, FILL_DIR), 0.0)
         + RIM_COL * 0.35 * max(dot(n, RIM_DIR), 0.0);
}
vec3 ambient(vec3 n) { return mix(GROUND, SKY, 0.5 + 0.5 * n.y); }
float spec(vec3 n, vec3 v, vec3 l, float power) {
    vec3 h = normalize(l + v);
    return pow(max(dot(n, h), 0.0), power) * (power + 8.0) / 25.0;
}
vec3 tonemap(vec3 c) {
    c *= 0.8;  // exposure
    c = (c * (2.51 * c + 0.03)) / (c * (2.43 * c + 0.59) + 0.14);  // ACES fit (Narkowicz 2015)
    return pow(clamp(c, 0.0, 1.0), vec3(1.0 / 2.2));
}
"""

def scene_fs(material: int) -> str:
    """Fragment shader specialised for one material group (skin/cloth 0, eyes 1, mouth 2-3, lashes 4).

    One program per group instead of one branching shader: llvmpipe runs every branch a SIMD block
    touches, and a single `discard` (the lashes) turns off early depth testing for the whole draw.
    """
    return "#version 330\n#define MATERIAL " + str(material) + "\n" + LIGHTS_GLSL + _SCENE_FS_BODY


# What SCENE_VS passes to the fragment shaders (the skin/eyes/teeth programs and the hair shells).
_SCENE_FS_INPUTS = """
in vec3 v_world;
in vec3 v_head;
in vec3 v_normal;
in vec2 v_uv;
in float v_ao;
in float v_hair;
flat in int v_mat;
out vec4 f_color;
"""

_SCENE_FS_BODY = (
    """
uniform sampler2D u_skin;
uniform sampler2D u_aux;
uniform sampler2D u_iris;
uniform mat3 u_rot;        // the full head pose (eyes, teeth and tongue follow the head rigidly)
uniform vec3 u_eye_c[2];   // eye centres, head space (left, right)
uniform vec3 u_eye_ax[2];  // eye gaze axes, head space
"""
    + _SCENE_FS_INPUTS
    + """
#if MATERIAL == 1
vec3 shade_eye(vec3 v) {
    int e = v_head.x > 0.0 ? 0 : 1;
    vec3 d = normalize(v_head - u_eye_c[e]);
    vec3 ax = u_eye_ax[e];
    float cosang = dot(d, ax);
    float ang = acos(clamp(cosang, -1.0, 1.0));
    const float IRIS = 0.45;   // iris angular radius (radians): ~7 mm on the 16 mm MakeHuman eyeball
    const float PUPIL = 0.15;
    vec3 side = normalize(cross(ax, vec3(0.0, 1.0, 0.0)));
    vec3 up = cross(side, ax);
    float theta = atan(dot(d, up), dot(d, side));
    vec3 sclera = vec3(0.56, 0.52, 0.49) * (0.8 + 0.2 * smoothstep(1.3, 0.5, ang));
    sclera = mix(sclera, vec3(0.55, 0.38, 0.35), smoothstep(0.8, 1.4, ang) * 0.5);
    float r = ang / IRIS;
    vec3 iris = pow(texture(u_iris, vec2(theta / 6.2831853 + 0.5, clamp(r, 0.0, 1.0))).rgb, vec3(2.2));
    iris = mix(vec3(0.012), iris, smoothstep(PUPIL / IRIS - 0.04, PUPIL / IRIS + 0.04, r));
    vec3 albedo = mix(iris, sclera, smoothstep(0.96, 1.04, r));
    vec3 n = normalize(u_rot * d);
    // Upper lid and lashes shade the top of the eyeball.
    float lid = 1.0 - 0.55 * smoothstep(-0.1, 0.55, dot(d, vec3(0.0, 1.0, 0.0)));
    vec3 col = albedo * (plain_diffuse(n) * 0.55 + ambient(n) * 1.2) * lid * (0.4 + 0.6 * v_ao);
    // Wet cornea: sharp key-light catch-light plus a soft fill reflection.
    col += vec3(1.0) * 3.0 * pow(max(dot(reflect(-v, n), KEY_DIR), 0.0), 260.0);
    col += vec3(0.6, 0.7, 0.8) * 0.25 * pow(max(dot(reflect(-v, n), FILL_DIR), 0.0), 120.0);
    return col;
}
#endif

void main() {
    vec3 n = normalize(v_normal);
    vec3 v = normalize(u_cam - v_world);
    vec3 col;
#if MATERIAL == 1
    col = shade_eye(v);
#elif MATERIAL == 2
    vec3 albedo = v_mat == 2 ? vec3(0.62, 0.58, 0.50) : vec3(0.26, 0.07, 0.07);
    // Teeth catch light where the lips part; the tongue lies deeper in the lips' shadow.
    float ao = v_mat == 2 ? v_ao : v_ao * v_ao * 0.6;
    col = albedo * (plain_diffuse(n) * 0.6 + ambient(n)) * ao;
    col += vec3(0.25) * spec(n, v, KEY_DIR, 60.0) * ao;
#elif MATERIAL == 4
    // Lash cards: cut into separate lashes along the lid so they read as lashes, not eyeliner.
    // Irregular spacing and thickness (a hash per lash) so they do not read as a comb up close.
    float lash = floor(v_uv.x * 900.0);
    float jitter = fract(sin(lash * 12.9898) * 43758.5453);
    if (fract(v_uv.x * 900.0 + 0.3 * jitter) > 0.35 + 0.35 * jitter) discard;
    col = vec3(0.025, 0.018, 0.014) * (ambient(n) + 0.5);
#else
    vec3 albedo = pow(texture(u_skin, v_uv).rgb, vec3(2.2));
    vec3 aux = texture(u_aux, v_uv).rgb;
    float cloth = aux.r;
    float ao = mix(v_ao, 1.0, 0.05);
    vec3 diff = mix(skin_diffuse(n), plain_diffuse(n), cloth);
    col = albedo * (diff * ao + ambient(n) * ao * 1.1);
    float s = aux.g * 0.3 * (spec(n, v, KEY_DIR, 36.0) + 0.5 * spec(n, v, FILL_DIR, 24.0));
    float fres = pow(1.0 - max(dot(n, v), 0.0), 4.0) * 0.12 * (1.0 - cloth);
    col += vec3(s + fres) * ao * KEY_COL * 0.5;
#endif
    f_color = vec4(tonemap(col), 1.0);
}
"""
)

HAIR_FS = (
    "#version 330\n"
    + LIGHTS_GLSL
    + """
uniform sampler2D u_aux;
uniform float u_layer;  // 0 (root) .. 1 (tip)
"""
    + _SCENE_FS_INPUTS
    + """
void main() {
    float strand = texture(u_aux, v_uv).b;
    if (strand * v_hair < u_layer * 0.9 + 0.08) discard;
    vec3 n = normalize(v_normal);
    vec3 v = normalize(u_cam - v_world);
    vec3 albedo = vec3(0.020, 0.012, 0.008) * (0.55 + 0.9 * u_layer) * (0.8 + 0.4 * strand);
    // Kajiya-Kay-like sheen along strands running back over the scalp.
    vec3 t = normalize(cross(n, vec3(1.0, 0.0, 0.0)));
    vec3 h = normalize(KEY_DIR + v);
    float th = dot(t, h);
    float sheen = pow(sqrt(max(1.0 - th * th, 0.0)), 40.0) * 0.06;
    vec3 col = albedo * (plain_diffuse(n) * 0.8 + ambient(n) * 1.3) * (0.5 + 0.5 * v_ao) + sheen * KEY_COL * u_layer;
    f_color = vec4(tonemap(col), 1.0);
}
"""
)

BACKDROP_VS = """
#version 330
in vec2 in_xy;
out vec2 v_xy;
void main() { v_xy = in_xy; gl_Position = vec4(in_xy, 0.999, 1.0); }
"""

BACKDROP_FS = """
#version 330
in vec2 v_xy;
out vec4 f_color;
void main() {
    // A calm studio backdrop: soft vertical gradient, a gentle glow behind the head, slight vignette.
    vec3 top = vec3(0.56, 0.60, 0.64);
    vec3 bottom = vec3(0.34, 0.37, 0.41);
    vec3 c = mix(bottom, top, 0.5 + 0.5 * v_xy.y);
    c += vec3(0.05, 0.045, 0.04) * exp(-dot(v_xy - vec2(-0.15, 0.35), v_xy - vec2(-0.15, 0.35)) * 2.0);
    c *= 1.0 - 0.18 * dot(v_xy, v_xy) * 0.5;
    f_color = vec4(c, 1.0);
}
"""

DOWNSAMPLE_FS = """
#version 330
uniform sampler2D u_src;
in vec2 v_xy;
out vec4 f_color;
void main() {
    // With linear filtering, sampling at the shared corner of a 2x2 texel block is its exact box average.
    f_color = texture(u_src, v_xy * 0.5 + 0.5);
}
"""
