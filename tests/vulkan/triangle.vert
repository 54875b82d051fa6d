#version 450
// A triangle whose corners are red, green and blue: no vertex buffers.
layout(location = 0) out vec3 color;
void main()
{
    const vec2 pos[3] = vec2[](vec2(0.0, -0.8), vec2(0.8, 0.7), vec2(-0.7, 0.6));
    const vec3 col[3] = vec3[](vec3(1, 0, 0), vec3(0, 1, 0), vec3(0, 0, 1));
    gl_Position = vec4(pos[gl_VertexIndex], 0.0, 1.0);
    color = col[gl_VertexIndex];
}
